/** The SDK's hand-written framing against the official socket.io-parser, both directions. */
import { Decoder, Encoder, PacketType, type Packet } from "socket.io-parser";
import { describe, expect, it } from "vitest";
import { SIO, decode, encode, socketUrl } from "./wire.js";

const payloads: unknown[] = [{ campaignId: "c-1", drawId: "d_2" }, { nested: { list: [1, "二", null, true] }, emoji: "🎉", quote: '"' }, [], "text", 0];

function officialDecode(frame: string): Packet {
  const decoder = new Decoder();
  let out: Packet | undefined;
  decoder.on("decoded", (p: Packet) => (out = p));
  decoder.add(frame);
  return out!;
}

describe("wire format", () => {
  it("encodes what socket.io-parser decodes (events with and without ack ids, connect)", () => {
    for (const data of payloads) {
      expect(officialDecode(encode(SIO.EVENT, ["draw:enter", data], 7).slice(1))).toEqual({ type: PacketType.EVENT, nsp: "/", id: 7, data: ["draw:enter", data] });
      expect(officialDecode(encode(SIO.EVENT, ["x", data]).slice(1))).toEqual({ type: PacketType.EVENT, nsp: "/", data: ["x", data] });
    }
    expect(officialDecode(encode(SIO.CONNECT, { token: "t", protocol: 1 }).slice(1))).toEqual({ type: PacketType.CONNECT, nsp: "/", data: { token: "t", protocol: 1 } });
  });

  it("decodes what socket.io-parser encodes (events, acks, connect, connect_error, disconnect)", () => {
    const encoder = new Encoder();
    const cases: Packet[] = [
      ...payloads.map((data) => ({ type: PacketType.EVENT, nsp: "/", data: ["draw:reveal", data] })),
      ...payloads.map((data, i) => ({ type: PacketType.ACK, nsp: "/", id: 1000 + i, data: [{ ok: true, data }] })),
      { type: PacketType.CONNECT, nsp: "/", data: { sid: "abc" } },
      { type: PacketType.CONNECT_ERROR, nsp: "/", data: { message: "no", data: { code: "E_UNAUTHORIZED" } } },
      { type: PacketType.DISCONNECT, nsp: "/" },
    ];
    for (const packet of cases) {
      const [frame] = encoder.encode(packet) as string[];
      const { nsp: _nsp, ...expected } = packet;
      expect(decode(frame!)).toEqual(expected);
    }
  });

  it("refuses binary packets, other namespaces and broken JSON instead of guessing", () => {
    expect(decode('51-["x",{"_placeholder":true,"num":0}]')).toBeNull();
    expect(decode('2/admin,["x"]')).toBeNull();
    expect(decode('2["x",')).toBeNull();
    expect(decode("9")).toBeNull();
  });

  it("turns a server URL into the engine.io websocket URL", () => {
    expect(socketUrl("https://draw.example.com")).toBe("wss://draw.example.com/socket.io/?EIO=4&transport=websocket");
    expect(socketUrl("http://127.0.0.1:3000/ignored?x=1")).toBe("ws://127.0.0.1:3000/socket.io/?EIO=4&transport=websocket");
    expect(socketUrl("wss://a.b", "/rt/")).toBe("wss://a.b/rt/?EIO=4&transport=websocket");
    expect(() => socketUrl("draw.example.com")).toThrow(TypeError);
  });
});
