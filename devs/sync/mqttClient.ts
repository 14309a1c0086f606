// A small MQTT 5 / 3.1.1 client for the fleet sync, over @devicescript/net's
// socket. Why not @devicescript/net's MQTTClient: on the 64 KB heap it left
// the board too little room (every packet sent or received is also logged
// as a hex string, and the last message stays referenced), so the firmware
// ran out of memory during calls; its receive path can leave socket chunks
// unread until the next packet arrives (coalesced data events); a socket
// error does not close it; and every QoS 1 publish has packet id 1, so a
// PUBACK proves nothing. Here:
// - one QoS 1 publish at a time, with its own packet id; publish()
//   resolves true only when the broker's PUBACK for it came back;
// - incoming packets go straight into one buffer of their exact size;
//   the caller decides, from its size, whether a payload is read in at all;
// - PINGREQ when idle; no packet from the broker for DEAD_MS = lost;
// - MQTT 5 first, with CONNECT's Maximum Packet Size: a conforming broker
//   (mosquitto 2) drops a larger message for this client instead of
//   sending it; a 3.1.1 broker refuses version 5 (CONNACK code 1) and the
//   link connects again with 3.1.1, where the board's own bounds hold: a
//   payload is refused from its header (admit) and its bytes skipped;
// - anything that is not what a broker may send this client (unknown or
//   unexpected packet types, wrong flags, lengths that do not add up, a
//   PUBLISH on another topic than the one subscribed) closes the
//   connection: the link reconnects with backoff.
import * as ds from "@devicescript/core"
import { connect, Socket } from "@devicescript/net"

const ACK_TIMEOUT_MS = 10000
const KEEPALIVE_S = 60
const PING_IDLE_MS = 20000
const DEAD_MS = 45000
const STAGE_BODY = 1
const STAGE_TOPIC_LENGTH = 2
const STAGE_TOPIC = 3
const STAGE_PROPS_LENGTH = 5
const STAGE_PROPS = 6
/** Largest non-PUBLISH packet, and properties block, read in. */
const MAX_SMALL = 256

export interface MqttOptions {
    host: string
    port: number
    tls: boolean
    clientId: string
    username?: string
    password?: string
    will: { topic: string; message: string }
    timeoutMs: number
    /** MQTT 5 with this Maximum Packet Size; 0: MQTT 3.1.1. */
    maxPacket: number
}

/** What open() says when a broker refused protocol version 5. */
export const NO_MQTT5 = "broker does not speak MQTT 5"

function u16(n: number): Buffer {
    const b = Buffer.alloc(2)
    b[0] = n >> 8
    b[1] = n & 255
    return b
}

/** A UTF-8 string with its 2-byte length. */
function str(s: string): Buffer {
    const b = Buffer.from(s)
    return Buffer.concat(u16(b.length), b)
}

/** `n` as MQTT's variable byte integer, after the bytes in `out`. */
function varInt(out: number[], n: number): number[] {
    for (;;) {
        const d = n & 127
        n = n >> 7
        out.push(n > 0 ? d | 128 : d)
        if (n === 0) return out
    }
}

/**
 * Fixed header (type and flags, remaining length) before the parts; `more`
 * bytes follow them, sent apart (a PUBLISH's payload: publish).
 */
function packet(first: number, parts: Buffer[], more = 0): Buffer {
    let len = 0
    for (const p of parts) len += p.length
    const head = Buffer.from(varInt([first], len + more))
    const out = Buffer.alloc(head.length + len)
    let at = 0
    for (let i = -1; i < parts.length; ++i) {
        const p = i < 0 ? head : parts[i]
        out.blitAt(at, p, 0, p.length)
        at += p.length
    }
    return out
}

/** The flags each packet type a broker sends must have (-1: not ours). */
function expectedFlags(type: number): number {
    // CONNACK, PUBACK, SUBACK, PINGRESP, DISCONNECT (MQTT 5)
    return type === 2 || type === 4 || type === 9 || type === 13 || type === 14
        ? 0
        : -1
}

export class MqttClient {
    connected = false
    /** A PUBLISH from the broker (QoS 1 ones are acknowledged). */
    /**
     * A PUBLISH on the subscribed topic: its payload as the pieces it came
     * in (no buffer of its size: on a fragmented heap that allocation is
     * the one that fails).
     */
    onMessage: (topic: string, payload: Buffer[]) => void = () => {}
    /**
     * Before a PUBLISH payload of `bytes` is read in: false skips it (the
     * heap may not have room).
     */
    admit: (bytes: number) => boolean = () => true
    /** The connection ended (after a successful open()). */
    onClose: () => void = () => {}
    private sock: Socket
    private events = ds.emitter<number>()
    private connack = -1
    private nextId = 1
    private waitingId = 0
    private acked = false
    private lastRx = 0
    private lastTx = 0
    // the packet being read: fixed header bytes, then its parts
    private head: number[] = []
    private first = 0
    private stage = 0
    private part: Buffer
    /** The payload being read, as it comes (STAGE_PAYLOAD). */
    private pieces: Buffer[]
    private got = 0
    private left = 0
    private skip = 0
    private topic = ""
    private v5 = false
    private subscribed = ""
    private propsLen = 0
    private propsShift = 0
    /** Packets refused (a reason to close) since the start: for the tests' log. */
    malformed = 0

    /** Socket, CONNECT, CONNACK; "" when connected, else why not. */
    async open(o: MqttOptions): Promise<string> {
        this.reset()
        try {
            this.sock = await connect({
                host: o.host,
                port: o.port,
                proto: o.tls ? "tls" : "tcp",
                timeout: o.timeoutMs,
            })
        } catch (e) {
            return (e as Error).message
        }
        const sock = this.sock
        this.feedOnArrival(sock)
        this.v5 = o.maxPacket > 0
        this.reader.start(sock)
        let flags = 0x02 | 0x04 | 0x08 | 0x20 // clean, will QoS 1 retained
        const parts = [
            str("MQTT"),
            Buffer.from([this.v5 ? 5 : 4, 0, 0, KEEPALIVE_S]),
        ]
        if (this.v5) {
            // properties: Maximum Packet Size (0x27, four bytes)
            const m = o.maxPacket
            parts.push(
                Buffer.from([
                    5,
                    0x27,
                    m >> 24,
                    (m >> 16) & 255,
                    (m >> 8) & 255,
                    m & 255,
                ])
            )
        }
        parts.push(str(o.clientId))
        if (this.v5) parts.push(Buffer.from([0])) // no will properties
        parts.push(str(o.will.topic), str(o.will.message))
        if (o.username) {
            flags |= 0x80
            parts.push(str(o.username))
            if (o.password) {
                flags |= 0x40
                parts.push(str(o.password))
            }
        }
        parts[1][1] = flags
        if (!(await this.send(packet(0x10, parts)))) return "connection lost"
        const deadline = ds.millis() + o.timeoutMs
        while (this.connack < 0 && this.sock === sock && ds.millis() < deadline)
            await ds.wait(this.events, deadline - ds.millis())
        if (this.connack !== 0) {
            const c = this.connack
            const login = this.v5
                ? c === 0x86 || c === 0x87
                : c === 4 || c === 5
            const why =
                c < 0
                    ? "no CONNACK"
                    : this.v5 && (c === 1 || c === 0x84)
                      ? NO_MQTT5
                      : "broker refused the connection (code " +
                        c +
                        (login ? ": login" : "") +
                        ")"
            await this.close()
            return why
        }
        this.connected = true
        return ""
    }

    async subscribe(topic: string): Promise<boolean> {
        this.subscribed = topic
        const parts = [u16(this.id())]
        if (this.v5) parts.push(Buffer.from([0])) // no properties
        parts.push(str(topic), Buffer.from([1]))
        return await this.send(packet(0x82, parts))
    }

    /**
     * QoS 1; true once the broker acknowledged this very message: the
     * payload, then `tail` (a signed message: devs/sync/sync.ts publish).
     */
    async publish(
        topic: string,
        payload: string[],
        retain: boolean
    ): Promise<boolean> {
        if (!this.connected || this.waitingId) return false
        const id = this.id()
        this.waitingId = id
        this.acked = false
        const sock = this.sock
        const parts = [str(topic), u16(id)]
        if (this.v5) parts.push(Buffer.from([0])) // no properties
        // the payload's parts go out as the strings they are, after the
        // header: no buffer of the message's size (on a fragmented heap
        // the largest free block may not hold one); the socket writes each
        // at once, so nothing else is sent between them
        let bytes = 0
        for (const s of payload) bytes += s.byteLength
        let sent = await this.send(
            packet(0x32 | (retain ? 1 : 0), parts, bytes)
        )
        for (const s of payload) sent = sent && (await this.send(s))
        // nothing is kept while the PUBACK is awaited (the heap is small)
        payload = undefined
        const deadline = ds.millis() + ACK_TIMEOUT_MS
        while (sent && !this.acked && this.sock === sock) {
            const left = deadline - ds.millis()
            if (left <= 0) break
            await ds.wait(this.events, left)
        }
        this.waitingId = 0
        return this.acked
    }

    async close() {
        const sock = this.shut()
        if (sock) await sock.close()
    }

    /** Ends the connection at once (the socket is closed by the caller). */
    private shut(): Socket {
        const sock = this.sock
        if (!sock) return undefined
        this.sock = undefined
        const was = this.connected
        this.connected = false
        this.events.emit(0)
        if (was) this.onClose()
        return sock
    }

    /** From the receive path, which must not wait. */
    private closeNow() {
        const sock = this.shut()
        if (sock) sock.close.start()
    }

    private reset() {
        this.connack = -1
        this.waitingId = 0
        this.head = []
        this.part = undefined
        this.skip = 0
        this.subscribed = ""
        this.lastRx = ds.millis()
    }

    private id(): number {
        this.nextId = this.nextId >= 65535 ? 1 : this.nextId + 1
        return this.nextId
    }

    private async send(b: Buffer | string): Promise<boolean> {
        const sock = this.sock
        if (!sock) return false
        try {
            await sock.send(b)
            this.lastTx = ds.millis()
            return true
        } catch (e) {
            if (this.sock === sock) await this.close()
            return false
        }
    }

    /** Reads packets; pings when idle; gives up on a silent broker. */
    private async reader(sock: Socket) {
        try {
            for (;;) {
                const chunk = await sock.recv(5000)
                if (chunk === null || this.sock !== sock) break
                const now = ds.millis()
                if (chunk) {
                    // (data goes to feed in the socket event: not here)
                    this.lastRx = now
                    this.feed(chunk)
                } else if (now - this.lastRx > DEAD_MS) {
                    console.log("mqtt: no answer from the broker")
                    break
                } else if (this.connected && now - this.lastTx > PING_IDLE_MS)
                    await this.send(Buffer.from([0xc0, 0]))
            }
        } catch (e) {}
        if (this.sock === sock) await this.close()
    }

    /**
     * Socket data goes through feed in the runtime's socket event itself,
     * as it arrives: @devicescript/net's Socket would queue every piece the
     * runtime reads (on the ESP32 128 bytes at a time, as much as the TCP
     * window holds per step) until a reader fiber takes it, and the
     * runtime reads as fast as data comes, so a large message or a flood
     * would pile up in the heap. Here nothing waits: a payload being
     * skipped costs nothing, one being read is copied into its buffer.
     */
    private feedOnArrival(sock: Socket) {
        const d = ds as any
        const deliver = d._socketOnEvent
        const self = this
        d._socketOnEvent = (ev: string, arg: any) => {
            if (ev === "data" && arg && self.sock === sock) {
                self.lastRx = ds.millis()
                self.feed(arg)
            } else deliver(ev, arg)
        }
    }

    /** Splits the byte stream into packets. */
    private feed(chunk: Buffer) {
        const sock = this.sock
        let i = 0
        while (i < chunk.length && this.sock === sock) {
            if (this.skip > 0) {
                const n = Math.min(this.skip, chunk.length - i)
                this.skip -= n
                i += n
            } else if (this.pieces) {
                // (pieces of at most 256 bytes: the socket's data may come
                // in one buffer of the message's size, whose copy a
                // fragmented heap may have no room for)
                const n = Math.min(this.left, chunk.length - i, 256)
                this.pieces.push(chunk.slice(i, i + n))
                this.left -= n
                i += n
                if (!this.left) this.delivered()
            } else if (!this.part) {
                // the fixed header: type and flags, remaining length
                const h = this.head
                h.push(chunk[i++])
                if (h.length < 2 || h[h.length - 1] & 128) {
                    if (h.length > 5) return this.refuse() // not MQTT
                    continue
                }
                let len = 0
                for (let k = h.length - 1; k >= 1; --k)
                    len = len * 128 + (h[k] & 127)
                this.first = h[0]
                this.head = []
                this.left = len
                const type = this.first >> 4
                const flags = this.first & 15
                if (type === 3) {
                    // PUBLISH: QoS 0 or 1 (subscribed with 1), after SUBSCRIBE
                    if ((flags >> 1) & 2 || !this.subscribed || len < 2)
                        return this.refuse()
                    this.expect(STAGE_TOPIC_LENGTH, 2)
                } else if (
                    flags !== expectedFlags(type) ||
                    len > MAX_SMALL ||
                    (type === 2) === this.connected // one CONNACK, first
                )
                    return this.refuse()
                else this.expect(STAGE_BODY, len)
            } else {
                const part = this.part
                const n = Math.min(part.length - this.got, chunk.length - i)
                part.blitAt(this.got, chunk, i, n)
                this.got += n
                i += n
                if (this.got === part.length) this.partRead()
            }
        }
    }

    /**
     * Reads the next `n` bytes of the packet into a buffer of their own (a
     * PUBLISH in three parts, so that its payload is never copied: the
     * heap may not have room for a second copy).
     */
    private expect(stage: number, n: number) {
        this.stage = stage
        this.part = Buffer.alloc(n)
        this.got = 0
        this.left -= n
        if (n === 0) this.partRead()
    }

    /** A packet no broker may send here: the connection is closed. */
    private refuse() {
        this.malformed++
        this.part = this.pieces = undefined
        this.head = []
        this.closeNow()
    }

    private partRead() {
        const b = this.part
        this.part = undefined
        const type = this.first >> 4
        const qos = (this.first >> 1) & 3
        if (this.stage === STAGE_TOPIC_LENGTH) {
            const n = b.readUInt16BE(0) + (qos ? 2 : 0)
            if (n > this.left || n > MAX_SMALL || n === 0) return this.refuse()
            this.expect(STAGE_TOPIC, n)
        } else if (this.stage === STAGE_TOPIC) {
            const tl = b.length - (qos ? 2 : 0)
            if (qos && b.readUInt16BE(tl) === 0) return this.refuse()
            this.topic = b.slice(0, tl).toString()
            if (this.topic !== this.subscribed) return this.refuse()
            // QoS 1: acknowledged on receipt
            if (qos) this.send.start(packet(0x40, [b.slice(tl)]))
            if (this.v5) {
                if (this.left < 1) return this.refuse()
                this.propsLen = 0
                this.propsShift = 0
                this.expect(STAGE_PROPS_LENGTH, 1)
            } else this.payload()
        } else if (this.stage === STAGE_PROPS_LENGTH) {
            // MQTT 5 properties of a PUBLISH (message expiry, user
            // properties...): nothing the board uses, skipped
            this.propsLen += (b[0] & 127) << this.propsShift
            this.propsShift += 7
            if (b[0] & 128) {
                if (this.propsShift >= 28 || this.left < 1) return this.refuse()
                this.expect(STAGE_PROPS_LENGTH, 1)
            } else if (this.propsLen > this.left || this.propsLen > MAX_SMALL)
                return this.refuse()
            else this.expect(STAGE_PROPS, this.propsLen)
        } else if (this.stage === STAGE_PROPS) {
            this.payload()
        } else if (type === 2) {
            this.connack = b.length >= 2 ? b[1] : 255
            this.events.emit(type)
        } else if (type === 4) {
            if (b.length < 2) return this.refuse()
            // MQTT 5: a reason code 0x80 or above is a refusal (e.g. 0x87
            // not authorized): not acknowledged
            const ok = b.length < 3 || b[2] < 0x80
            if (ok && b.readUInt16BE(0) === this.waitingId) {
                this.acked = true
                this.events.emit(type)
            }
        } else if (type === 14) {
            // DISCONNECT (MQTT 5): the broker ends the connection
            this.closeNow()
        }
        // SUBACK (9), PINGRESP (13): nothing to do (lastRx is updated)
    }

    /** The payload of a PUBLISH: read in if the caller has room for it. */
    private payload() {
        if (!this.admit(this.left)) this.skip = this.left
        else {
            this.pieces = []
            if (!this.left) this.delivered()
        }
    }

    private delivered() {
        const p = this.pieces
        this.pieces = undefined
        this.onMessage(this.topic, p)
    }
}
