// One board's network path to the site's MQTT broker: a loopback TCP
// forwarder the board's configuration points at instead of the broker
// itself, so that a scenario can cut one board off the broker ("down":
// its connection is dropped, new ones are closed at once) and mend it
// ("up") while the other boards stay connected. Works with any broker
// (mosquitto, aedes) since it only forwards bytes.

import { createConnection, createServer, Server, Socket } from "node:net"

export class BrokerLink {
    private sockets = new Set<Socket>()
    private isUp = true

    private constructor(
        private server: Server,
        /** The URL the board is configured with: mqtt://127.0.0.1:PORT. */
        readonly url: string
    ) {}

    /** A forwarder on a free loopback port to the plain mqtt:// `brokerUrl`. */
    static async open(brokerUrl: string): Promise<BrokerLink> {
        const target = new URL(brokerUrl)
        if (target.protocol !== "mqtt:")
            throw new Error(
                `a simulated site's broker must be mqtt:// (got ${target.protocol})`
            )
        const host = target.hostname
        const port = Number(target.port || 1883)
        let link: BrokerLink | undefined
        const server = createServer(board => link!.accept(board, host, port))
        await new Promise<void>((resolve, reject) => {
            server.once("error", reject)
            server.listen(0, "127.0.0.1", () => resolve())
        })
        const addr = server.address()
        if (!addr || typeof addr === "string") throw new Error("no address")
        link = new BrokerLink(server, `mqtt://127.0.0.1:${addr.port}`)
        return link
    }

    private accept(board: Socket, host: string, port: number) {
        if (!this.isUp) return board.destroy()
        const broker = createConnection({ host, port })
        for (const s of [board, broker]) {
            this.sockets.add(s)
            s.on("error", () => {})
            s.on("close", () => {
                this.sockets.delete(s)
                board.destroy()
                broker.destroy()
            })
        }
        board.pipe(broker)
        broker.pipe(board)
    }

    get up() {
        return this.isUp
    }

    /** Cuts the board off the broker: its connection drops, new ones fail. */
    down() {
        this.isUp = false
        for (const s of this.sockets) s.destroy()
    }

    /** The board can reach the broker again (it reconnects on its own). */
    mend() {
        this.isUp = true
    }

    async close() {
        this.down()
        await new Promise(r => this.server.close(r))
    }
}
