import { describe, expect, it } from "vitest";
import { FramingError, PacketFraming } from "../src/packet-framing.js";

const body = (n: number, fill = 0xaa) => new Array<number>(n).fill(fill);
/** SKESK v4 (13 bytes of body) in the new format, as gpg writes it but with a new-format header. */
const skesk = [0xc3, 13, 4, 9, 3, 2, ...body(8), 0xff];

// Encrypted-data packets in each length encoding RFC 9580 §4.2 allows: tag 18 in the new format, and
// tag 9 in the old one (whose 4-bit tag field cannot hold 18; gpg 1.x wrote tag 9 that way).
const OLD_SED = 0x80 | (9 << 2);
const DATA: Array<[string, number, number[]]> = [
  ["new format, 1-byte length", 18, [0xd2, 20, ...body(20)]],
  ["new format, 2-byte length", 18, [0xd2, 0xc0, 0x08, ...body(200)]], // (0xc0 - 192) * 256 + 8 + 192 = 200
  ["new format, 5-byte length", 18, [0xd2, 0xff, 0, 0, 1, 44, ...body(300)]],
  ["new format, partial lengths", 18, [0xd2, 0xe9, ...body(512), 0xe0, ...body(1), 3, ...body(3)]], // 2^9, 2^0, then 3
  ["new format, partial then zero", 18, [0xd2, 0xe9, ...body(512), 0]],
  ["old format, 1-byte length", 9, [OLD_SED | 0, 30, ...body(30)]],
  ["old format, 2-byte length", 9, [OLD_SED | 1, 1, 0, ...body(256)]],
  ["old format, 4-byte length", 9, [OLD_SED | 2, 0, 0, 0, 25, ...body(25)]],
];

function feed(bytes: number[], chunk: number): PacketFraming {
  const framing = new PacketFraming();
  for (let i = 0; i < bytes.length; i += chunk) framing.push(Uint8Array.from(bytes.slice(i, i + chunk)));
  framing.end();
  return framing;
}

describe("PacketFraming", () => {
  it.each(DATA.flatMap(([name, tag, data]) => [1, 3, 4096].map((chunk) => [name, chunk, tag, data] as const)))(
    "%s, %i-byte chunks: packets and their ends",
    (_, chunk, tag, data) => {
      const framing = feed([...skesk, ...data], chunk);
      expect(framing.truncated).toBe(false);
      expect(framing.packets.map((p) => [p.tag, p.start, p.end])).toEqual([
        [3, 0, 15],
        [tag, 15, 15 + data.length],
      ]);
      expect(framing.packets[0]!.body).toEqual(Uint8Array.from(skesk.slice(2)));
      expect(framing.dataPacket?.body.length).toBe(Math.min(1024, data.filter((b) => b === 0xaa).length));
    },
  );

  it.each(DATA.flatMap(([name, , data]) => [1, 2, 7].map((cut) => [name, cut, data] as const)))("%s cut by %i byte(s): truncated", (_, cut, data) => {
    const framing = feed([...skesk, ...data].slice(0, -cut), 5);
    expect(framing.truncated).toBe(true);
  });

  it("an input ending after the session-key packet is not truncated by itself (no data packet)", () => {
    const framing = feed(skesk, 4);
    expect([framing.truncated, framing.dataPacket]).toEqual([false, undefined]);
  });

  it("ignores what follows the encrypted-data packet", () => {
    const framing = feed([...skesk, 0xd2, 2, 1, 1, 0x00, 0x42], 1);
    expect([framing.truncated, framing.packets.length]).toEqual([false, 2]);
  });

  it("an old-format indeterminate length runs to the end and cannot be truncated", () => {
    const framing = feed([...skesk, OLD_SED | 3, ...body(10)], 3);
    expect([framing.truncated, framing.dataPacket?.end]).toEqual([false, undefined]);
  });

  it("headReady waits for the first body bytes of the encrypted data", () => {
    const framing = new PacketFraming();
    framing.push(Uint8Array.from([...skesk, 0xd2, 40, ...body(10)]));
    expect(framing.headReady(19)).toBe(false);
    framing.push(Uint8Array.from(body(9)));
    expect(framing.headReady(19)).toBe(true);
  });

  it("a byte without the high bit before the encrypted data is a FramingError", () => {
    const framing = new PacketFraming();
    expect(() => framing.push(Uint8Array.from([...skesk, 0x1f]))).toThrow(new FramingError("byte 0x1f at offset 15 is not an OpenPGP packet header"));
  });
});
