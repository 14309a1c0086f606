// A small MQTT 3.1.1 client for the fleet sync, over @devicescript/net's
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
// - PINGREQ when idle; no packet from the broker for DEAD_MS = lost.
import * as ds from "@devicescript/core"
import { connect, Socket } from "@devicescript/net"

const ACK_TIMEOUT_MS = 10000
const KEEPALIVE_S = 60
const PING_IDLE_MS = 20000
const DEAD_MS = 45000
const STAGE_BODY = 1
const STAGE_TOPIC_LENGTH = 2
const STAGE_TOPIC = 3
const STAGE_PAYLOAD = 4

export interface MqttOptions {
    host: string
    port: number
    tls: boolean
    clientId: string
    username?: string
    password?: string
    will: { topic: string; message: string }
    timeoutMs: number
}

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

/** Fixed header (type and flags, remaining length) before the parts. */
function packet(first: number, parts: Buffer[]): Buffer {
    let len = 0
    for (const p of parts) len += p.length
    const head = [first]
    for (;;) {
        const d = len & 127
        len = len >> 7
        head.push(len > 0 ? d | 128 : d)
        if (len === 0) break
    }
    return Buffer.concat(Buffer.from(head), ...parts)
}

export class MqttClient {
    connected = false
    /** A PUBLISH from the broker (QoS 1 ones are acknowledged). */
    onMessage: (topic: string, payload: Buffer) => void = () => {}
    /**
     * Before a PUBLISH payload of `bytes` is read in: false skips it (the
     * heap may not have room).
     */
    admit: (bytes: number) => Promise<boolean> = async () => true
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
    private got = 0
    private left = 0
    private skip = 0
    private topic = ""

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
        this.reader.start(sock)
        let flags = 0x02 | 0x04 | 0x08 | 0x20 // clean, will QoS 1 retained
        const parts = [
            str("MQTT"),
            Buffer.from([4, 0, 0, KEEPALIVE_S]),
            str(o.clientId),
            str(o.will.topic),
            str(o.will.message),
        ]
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
            const why =
                this.connack < 0
                    ? "no CONNACK"
                    : "broker refused the connection (code " +
                      this.connack +
                      (this.connack === 4 || this.connack === 5
                          ? ": login"
                          : "") +
                      ")"
            await this.close()
            return why
        }
        this.connected = true
        return ""
    }

    async subscribe(topic: string): Promise<boolean> {
        return await this.send(
            packet(0x82, [u16(this.id()), str(topic), Buffer.from([1])])
        )
    }

    /** QoS 1; true once the broker acknowledged this very message. */
    async publish(
        topic: string,
        payload: string,
        retain: boolean
    ): Promise<boolean> {
        if (!this.connected || this.waitingId) return false
        const id = this.id()
        this.waitingId = id
        this.acked = false
        const sock = this.sock
        const sent = await this.send(
            packet(0x32 | (retain ? 1 : 0), [
                str(topic),
                u16(id),
                Buffer.from(payload),
            ])
        )
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
        const sock = this.sock
        if (!sock) return
        this.sock = undefined
        const was = this.connected
        this.connected = false
        this.events.emit(0)
        await sock.close()
        if (was) this.onClose()
    }

    private reset() {
        this.connack = -1
        this.waitingId = 0
        this.head = []
        this.part = undefined
        this.skip = 0
        this.lastRx = ds.millis()
    }

    private id(): number {
        this.nextId = this.nextId >= 65535 ? 1 : this.nextId + 1
        return this.nextId
    }

    private async send(b: Buffer): Promise<boolean> {
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
                    this.lastRx = now
                    await this.feed(chunk)
                } else if (now - this.lastRx > DEAD_MS) {
                    console.log("mqtt: no answer from the broker")
                    break
                } else if (this.connected && now - this.lastTx > PING_IDLE_MS)
                    await this.send(Buffer.from([0xc0, 0]))
            }
        } catch (e) {}
        if (this.sock === sock) await this.close()
    }

    /** Splits the byte stream into packets. */
    private async feed(chunk: Buffer) {
        let i = 0
        while (i < chunk.length) {
            if (this.skip > 0) {
                const n = Math.min(this.skip, chunk.length - i)
                this.skip -= n
                i += n
            } else if (!this.part) {
                // the fixed header: type and flags, remaining length
                const h = this.head
                h.push(chunk[i++])
                if (h.length < 2 || h[h.length - 1] & 128) {
                    if (h.length > 5) return await this.close() // not MQTT
                    continue
                }
                let len = 0
                for (let k = h.length - 1; k >= 1; --k)
                    len = len * 128 + (h[k] & 127)
                this.first = h[0]
                this.head = []
                this.left = len
                if (this.first >> 4 === 3 && len >= 2)
                    await this.expect(STAGE_TOPIC_LENGTH, 2)
                else if (len > 256)
                    return await this.close() // not for us
                else await this.expect(STAGE_BODY, len)
            } else {
                const part = this.part
                const n = Math.min(part.length - this.got, chunk.length - i)
                part.blitAt(this.got, chunk, i, n)
                this.got += n
                i += n
                if (this.got === part.length) await this.partRead()
            }
        }
    }

    /**
     * Reads the next `n` bytes of the packet into a buffer of their own (a
     * PUBLISH in three parts, so that its payload is never copied: the
     * heap may not have room for a second copy).
     */
    private async expect(stage: number, n: number) {
        this.stage = stage
        this.part = Buffer.alloc(n)
        this.got = 0
        this.left -= n
        if (n === 0) await this.partRead()
    }

    private async partRead() {
        const b = this.part
        this.part = undefined
        const type = this.first >> 4
        const qos = (this.first >> 1) & 3
        if (this.stage === STAGE_TOPIC_LENGTH) {
            const n = b.readUInt16BE(0) + (qos ? 2 : 0)
            if (n > this.left || n > 256) return await this.close()
            await this.expect(STAGE_TOPIC, n)
        } else if (this.stage === STAGE_TOPIC) {
            const tl = b.length - (qos ? 2 : 0)
            this.topic = b.slice(0, tl).toString()
            // QoS 1: acknowledged on receipt
            if (qos) await this.send(packet(0x40, [b.slice(tl)]))
            if (await this.admit(this.left))
                await this.expect(STAGE_PAYLOAD, this.left)
            else this.skip = this.left
        } else if (this.stage === STAGE_PAYLOAD) {
            this.onMessage(this.topic, b)
        } else if (type === 2) {
            this.connack = b.length >= 2 ? b[1] : 255
            this.events.emit(type)
        } else if (type === 4 && b.length >= 2) {
            if (b.readUInt16BE(0) === this.waitingId) {
                this.acked = true
                this.events.emit(type)
            }
        }
        // SUBACK (9), PINGRESP (13): nothing to do (lastRx is updated)
    }
}
