// A board's private Jacdac bus, in-process: what `devs devtools` did for the
// simulator, without its fixed ports. Every frame one member sends reaches
// every other member, as on a wire. Members: in-process ones (the firmware
// VM, sim/vm.ts) and TCP clients on a loopback port of the hub's own (any
// free port, or a preferred one), with devtools' framing (a length
// byte, then the frame; 255 then a 16-bit length for long ones): jacdac-ts
// (sim/jd.ts tcpTransport) and `dialguard flash --bus tcp://127.0.0.1:PORT`.

import { createServer, Server, Socket } from "node:net"

export interface HubMember {
    /** A frame from this member to all the others. */
    send(frame: Uint8Array): void
    leave(): void
}

type Receiver = (frame: Uint8Array) => void

export class JacdacHub {
    private readonly receivers = new Set<Receiver>()
    private readonly sockets = new Set<Socket>()
    private clients = 0

    private constructor(
        private readonly server: Server,
        readonly port: number,
        private readonly log: (line: string) => void
    ) {
        server.on("connection", s => this.accept(s))
    }

    /** tcp://127.0.0.1:PORT, for jacdac-ts and `dialguard flash --bus`. */
    get url() {
        return `tcp://127.0.0.1:${this.port}`
    }

    /**
     * Opens the hub on 127.0.0.1: on `preferred` if given and free (the
     * interactive simulator takes 8082, the default `--bus` of the CLI),
     * else on any free port.
     */
    static async open(
        preferred = 0,
        log: (line: string) => void = () => {}
    ): Promise<JacdacHub> {
        const listen = (port: number) =>
            new Promise<Server>((resolve, reject) => {
                const server = createServer()
                server.once("error", reject)
                server.listen(port, "127.0.0.1", () => resolve(server))
            })
        let server: Server
        try {
            server = await listen(preferred)
        } catch (e) {
            if (
                !preferred ||
                (e as NodeJS.ErrnoException).code !== "EADDRINUSE"
            )
                throw e
            log(`port ${preferred} is in use; taking another`)
            server = await listen(0)
        }
        const addr = server.address()
        return new JacdacHub(
            server,
            typeof addr === "object" && addr ? addr.port : 0,
            log
        )
    }

    /** An in-process member: `receive` gets what every other member sends. */
    join(receive: Receiver): HubMember {
        this.receivers.add(receive)
        return {
            send: frame => this.broadcast(frame, receive),
            leave: () => this.receivers.delete(receive),
        }
    }

    private broadcast(frame: Uint8Array, from: Receiver) {
        for (const r of this.receivers) if (r !== from) r(frame)
    }

    private accept(socket: Socket) {
        const name = `tcp${++this.clients}`
        this.sockets.add(socket)
        this.log(`${name}: connected`)
        socket.setNoDelay(true)
        // devtools sends TCP clients only frames that fit the length byte
        const receive: Receiver = frame => {
            if (frame.length >= 255 || socket.destroyed) return
            const b = Buffer.allocUnsafe(frame.length + 1)
            b[0] = frame.length
            b.set(frame, 1)
            socket.write(b)
        }
        const member = this.join(receive)
        let acc = Buffer.alloc(0)
        socket.on("data", data => {
            acc = acc.length ? Buffer.concat([acc, data]) : data
            for (;;) {
                let off = 1
                let end = acc.length ? acc[0] + 1 : 0
                if (end === 256) {
                    if (acc.length < 3) break
                    off = 3
                    end = 3 + acc[1] + (acc[2] << 8)
                }
                if (!end || acc.length < end) break
                member.send(new Uint8Array(acc.subarray(off, end)))
                acc = acc.subarray(end)
            }
        })
        const gone = () => {
            if (!this.sockets.delete(socket)) return
            member.leave()
            this.log(`${name}: disconnected`)
        }
        socket.on("close", gone)
        socket.on("error", gone)
    }

    /** Disconnects every client and closes the port. */
    async close() {
        for (const s of this.sockets) s.destroy()
        this.receivers.clear()
        await new Promise<void>(r => this.server.close(() => r()))
    }
}
