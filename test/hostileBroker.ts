// A hostile MQTT "broker" for the board's client (devs/sync/mqttClient.ts):
// a TCP server on loopback that speaks just enough MQTT 3.1.1 to get a
// board connected, then sends it what `script` says for that connection —
// adversarial frames, valid or not. Written here rather than taken from a
// library: its whole point is to send what no conforming library sends.
// It parses what the board sends (CONNECT, SUBSCRIBE, PUBLISH, PINGREQ)
// with a small framer and answers SUBACK, PUBACK and PINGRESP.

import { createServer, Server, Socket } from "node:net"

/** Remaining length as MQTT's variable byte integer. */
export function varInt(n: number): number[] {
    const out: number[] = []
    do {
        let d = n % 128
        n = Math.floor(n / 128)
        if (n > 0) d |= 128
        out.push(d)
    } while (n > 0)
    return out
}

function u16(n: number): number[] {
    return [n >> 8, n & 255]
}

function str(s: string): number[] {
    const b = [...Buffer.from(s)]
    return [...u16(b.length), ...b]
}

export function frame(first: number, body: number[] | Buffer): Buffer {
    const b = Buffer.from(body)
    return Buffer.concat([Buffer.from([first, ...varInt(b.length)]), b])
}

/** A PUBLISH (QoS 0 or 1, packet id 1 for QoS 1). */
export function publish(
    topic: string,
    payload: string | Buffer,
    opts: { qos?: number; retain?: boolean; id?: number } = {}
): Buffer {
    const qos = opts.qos ?? 0
    const head = [...str(topic), ...(qos ? u16(opts.id ?? 1) : [])]
    return frame(
        0x30 | (qos << 1) | (opts.retain ? 1 : 0),
        Buffer.concat([Buffer.from(head), Buffer.from(payload)])
    )
}

export const CONNACK_OK = frame(0x20, [0, 0])

/** A packet from the board. */
export interface Packet {
    type: number
    flags: number
    body: Buffer
    /** CONNECT: protocol level; PUBLISH: topic, packet id, payload. */
    level?: number
    topic?: string
    id?: number
    payload?: Buffer
}

function parse(first: number, body: Buffer): Packet {
    const p: Packet = { type: first >> 4, flags: first & 15, body }
    if (p.type === 1) p.level = body[2 + body.readUInt16BE(0)]
    if (p.type === 8) p.id = body.readUInt16BE(0)
    if (p.type === 3) {
        const tl = body.readUInt16BE(0)
        p.topic = body.subarray(2, 2 + tl).toString()
        let i = 2 + tl
        if ((p.flags >> 1) & 3) {
            p.id = body.readUInt16BE(i)
            i += 2
        }
        p.payload = body.subarray(i)
    }
    return p
}

/** One connection of the board, as the script sees it. */
export class Conn {
    readonly packets: Packet[] = []
    closedByBoard = false
    readonly closed: Promise<void>
    private buf = Buffer.alloc(0)
    private waiters: (() => void)[] = []
    /** Frames this server sent on it. */
    sent = 0

    constructor(
        readonly sock: Socket,
        readonly index: number,
        readonly t: number
    ) {
        this.closed = new Promise(resolve => {
            sock.on("close", () => {
                this.wake()
                resolve()
            })
        })
        sock.on("end", () => (this.closedByBoard = true))
        sock.on("error", () => {})
        sock.on("data", d => this.data(d))
    }

    get open() {
        return !this.sock.destroyed
    }

    private wake() {
        const w = this.waiters
        this.waiters = []
        for (const f of w) f()
    }

    private data(d: Buffer) {
        this.buf = Buffer.concat([this.buf, d])
        for (;;) {
            let len = 0
            let mul = 1
            let i = 1
            for (; i < this.buf.length && i < 5; i++) {
                len += (this.buf[i] & 127) * mul
                mul *= 128
                if (!(this.buf[i] & 128)) break
            }
            if (i >= this.buf.length || this.buf.length < i + 1 + len) break
            const p = parse(this.buf[0], this.buf.subarray(i + 1, i + 1 + len))
            this.buf = this.buf.subarray(i + 1 + len)
            this.packets.push(p)
            // the usual answers
            if (p.type === 8) this.send(frame(0x90, [...u16(p.id!), 1]))
            if (p.type === 3 && p.id) this.send(frame(0x40, u16(p.id)))
            if (p.type === 12) this.send(frame(0xd0, []))
        }
        this.wake()
    }

    send(b: Buffer) {
        if (!this.open) return
        this.sent++
        this.sock.write(b)
    }

    /** The first packet from the board for which `test` holds (or undefined when closed). */
    async next(
        test: (p: Packet) => boolean,
        timeoutMs = 30000
    ): Promise<Packet | undefined> {
        const end = Date.now() + timeoutMs
        for (;;) {
            const p = this.packets.find(test)
            if (p) return p
            if (!this.open || Date.now() > end) return undefined
            await new Promise<void>(r => {
                this.waiters.push(r)
                setTimeout(r, 200)
            })
        }
    }

    /** Waits until the board closes, or closes after `ms`. true: the board did. */
    async closeAfter(ms: number): Promise<boolean> {
        const timer = setTimeout(() => this.sock.destroy(), ms)
        await this.closed
        clearTimeout(timer)
        return this.closedByBoard
    }
}

export class HostileBroker {
    readonly conns: Conn[] = []
    private server!: Server
    port = 0

    constructor(readonly script: (c: Conn) => Promise<void>) {}

    async start() {
        this.server = createServer(sock => {
            const c = new Conn(sock, this.conns.length, Date.now())
            this.conns.push(c)
            this.script(c)
                .catch(() => {})
                .finally(() => sock.destroy())
        })
        await new Promise<void>(r => this.server.listen(0, "127.0.0.1", r))
        this.port = (this.server.address() as { port: number }).port
    }

    get url() {
        return `mqtt://127.0.0.1:${this.port}`
    }

    get framesSent() {
        return this.conns.reduce((n, c) => n + c.sent, 0)
    }

    async stop() {
        for (const c of this.conns) c.sock.destroy()
        await new Promise(r => this.server.close(r))
    }
}
