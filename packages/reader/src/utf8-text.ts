import { isAscii, transcode } from "node:buffer";

// A Node built without ICU (`--without-intl`) has no `transcode`: it decodes the slower way.
const WITH_ICU = typeof (transcode as unknown) === "function";

/**
 * The text of `bytes`, which must be valid UTF-8 (`isUtf8`): the same string as `bytes.toString("utf8")`.
 *
 * Why not `toString("utf8")`: Node 20's UTF-8 decoder (V8's) turns non-ASCII text into a string at about
 * 300 MB/s, which made it half of a worker's time on Japanese records, twice `JSON.parse`. ICU's
 * converter, behind `transcode`, does it at about 2 GB/s, and a UTF-16LE buffer becomes a string by a copy.
 * An ASCII line is read as Latin-1, the same characters, without the doubled buffer. On invalid input
 * the two decoders replace bad bytes differently, hence the precondition.
 */
export function decodeUtf8(bytes: Buffer): string {
  if (isAscii(bytes)) return bytes.toString("latin1");
  return WITH_ICU ? transcode(bytes, "utf8", "utf16le").toString("utf16le") : bytes.toString("utf8");
}
