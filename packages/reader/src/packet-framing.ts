/**
 * Incremental OpenPGP packet framing (RFC 9580 §4.2), used by `decryptStream` to look at the packets in
 * front of the encrypted data before handing the bytes to openpgp, and to tell a truncated file apart
 * from a modified one: only the framing knows whether the input ended where the encrypted packet says
 * it ends.
 */

/** Packet tags this module cares about (RFC 9580 §5). */
export const PacketTag = {
  pkesk: 1,
  skesk: 3,
  sed: 9,
  marker: 10,
  literal: 11,
  compressed: 8,
  seipd: 18,
  aead: 20,
} as const;

/** Tags of packets that hold the encrypted message body. */
const ENCRYPTED_DATA_TAGS: ReadonlySet<number> = new Set([PacketTag.sed, PacketTag.seipd, PacketTag.aead]);

/** One packet seen by {@link PacketFraming}, up to and including the first encrypted-data packet. */
export interface FramedPacket {
  tag: number;
  /** Offset of the packet's first header byte in the whole input. */
  start: number;
  /** Offset just past the packet's last body byte; undefined while the packet is still open. */
  end: number | undefined;
  /** The first body bytes, at most `captureBytes` of them (body bytes only, across partial chunks). */
  body: Uint8Array;
}

/** The framing is broken: what came is not a sequence of OpenPGP packets. */
export class FramingError extends Error {
  override name = "FramingError";
}

/**
 * Follows packet headers and lengths (old and new format, partial body lengths) over chunks of any
 * size. It records the packets up to the first encrypted-data packet (tag 9, 18 or 20) and follows that
 * packet to its end; whatever comes after it is not looked at (openpgp judges it). Memory: at most
 * `captureBytes` per recorded packet.
 */
export class PacketFraming {
  readonly packets: FramedPacket[] = [];
  /** Bytes pushed so far. */
  offset = 0;
  /** Set by {@link end} when the input ended inside a packet (or inside a packet header). */
  truncated = false;
  private header: number[] = [];
  /** True while a new packet's tag byte is expected (false: the next header is a partial-body length). */
  private expectTag = true;
  /** Body bytes left in the current length chunk. */
  private remaining = 0;
  /** The current length chunk is partial: another length header follows it. */
  private partial = false;
  /** Old-format indeterminate length: the packet runs to the end of the input. */
  private indeterminate = false;
  private current: FramedPacket | undefined;
  private captured: Uint8Array[] = [];
  private capturedBytes = 0;
  /** The encrypted-data packet has ended: stop following the framing. */
  private finished = false;

  constructor(private readonly captureBytes = 1024) {}

  /** The encrypted-data packet, once its header has been read. */
  get dataPacket(): FramedPacket | undefined {
    const last = this.packets[this.packets.length - 1];
    return last && ENCRYPTED_DATA_TAGS.has(last.tag) ? last : undefined;
  }

  /**
   * Enough is known to check the passphrase: the encrypted-data packet has started and `minBody` of its
   * body bytes were captured (or the packet already ended, shorter than that).
   */
  headReady(minBody: number): boolean {
    const data = this.dataPacket;
    return data !== undefined && (data.body.length >= minBody || data.end !== undefined);
  }

  /**
   * Feed the next bytes. Throws {@link FramingError} when a packet header is invalid before the
   * encrypted-data packet; after it, nothing throws.
   */
  push(chunk: Uint8Array): void {
    let i = 0;
    const n = chunk.length;
    while (i < n && !this.finished) {
      if (this.indeterminate) {
        this.capture(chunk.subarray(i));
        break;
      }
      if (this.remaining > 0) {
        const take = Math.min(this.remaining, n - i);
        this.capture(chunk.subarray(i, i + take));
        this.remaining -= take;
        i += take;
        if (this.remaining === 0 && !this.partial) this.closePacket(this.offset + i);
        continue;
      }
      this.header.push(chunk[i]!);
      i++;
      this.parseHeader(this.offset + i);
    }
    this.offset += n;
  }

  /** The input ended. Sets {@link truncated} when it ended inside a packet or inside a header. */
  end(): void {
    if (this.finished || this.indeterminate) return;
    this.truncated = this.current !== undefined || this.header.length > 0;
  }

  private capture(bytes: Uint8Array): void {
    if (this.capturedBytes >= this.captureBytes || !this.current) return;
    const part = bytes.subarray(0, this.captureBytes - this.capturedBytes);
    // Copy: callers may reuse their chunk buffers.
    this.captured.push(part.slice());
    this.capturedBytes += part.length;
    this.current.body = concatBytes(this.captured);
  }

  private closePacket(at: number): void {
    if (!this.current) return;
    this.current.end = at;
    const wasData = ENCRYPTED_DATA_TAGS.has(this.current.tag);
    this.current = undefined;
    this.expectTag = true;
    if (wasData) this.finished = true;
  }

  /** Tries to complete the header in `this.header`; `at` is the input offset just past it. */
  private parseHeader(at: number): void {
    const h = this.header;
    let lengthStart = 0;
    let tag = -1;
    if (this.expectTag) {
      const b = h[0]!;
      if ((b & 0x80) === 0) {
        if (this.dataPacket) return this.stop();
        throw new FramingError(`byte 0x${b.toString(16).padStart(2, "0")} at offset ${at - 1} is not an OpenPGP packet header`);
      }
      if ((b & 0x40) === 0) {
        // Old format (RFC 9580 §4.2.2.4): tag in bits 5–2, length type in bits 1–0.
        tag = (b >> 2) & 0x0f;
        const lengthType = b & 0x03;
        if (lengthType === 3) {
          this.openPacket(tag, at - 1);
          this.header = [];
          // Runs to the end of the input, so a cut cannot be seen (gpg uses this only inside the encryption).
          if (!this.finished) this.indeterminate = true;
          return;
        }
        const size = 1 << lengthType;
        if (h.length < 1 + size) return;
        let len = 0;
        for (let k = 1; k <= size; k++) len = len * 256 + h[k]!;
        this.openPacket(tag, at - h.length);
        this.startChunk(len, false, at);
        return;
      }
      tag = b & 0x3f;
      lengthStart = 1;
    }
    // New-format length (RFC 9580 §4.2.1), also used for every partial-body continuation.
    if (h.length <= lengthStart) return;
    const l0 = h[lengthStart]!;
    let len: number;
    let partial = false;
    if (l0 < 192) len = l0;
    else if (l0 < 224) {
      if (h.length < lengthStart + 2) return;
      len = ((l0 - 192) << 8) + h[lengthStart + 1]! + 192;
    } else if (l0 === 255) {
      if (h.length < lengthStart + 5) return;
      len = ((h[lengthStart + 1]! << 24) >>> 0) + (h[lengthStart + 2]! << 16) + (h[lengthStart + 3]! << 8) + h[lengthStart + 4]!;
    } else {
      len = 1 << (l0 & 0x1f);
      partial = true;
    }
    if (this.expectTag) this.openPacket(tag, at - h.length);
    this.startChunk(len, partial, at);
  }

  private openPacket(tag: number, start: number): void {
    if (this.dataPacket) {
      // A packet after the encrypted data: not ours to judge (openpgp is).
      this.stop();
      return;
    }
    this.current = { tag, start, end: undefined, body: new Uint8Array(0) };
    this.captured = [];
    this.capturedBytes = 0;
    this.packets.push(this.current);
    this.expectTag = false;
  }

  private startChunk(len: number, partial: boolean, at: number): void {
    this.header = [];
    if (this.finished) return;
    this.remaining = len;
    this.partial = partial;
    if (len === 0 && !partial) this.closePacket(at);
  }

  private stop(): void {
    this.finished = true;
    this.current = undefined;
    this.header = [];
  }
}

/** Concatenates byte arrays into one new array. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  let size = 0;
  for (const p of parts) size += p.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
