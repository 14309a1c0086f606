// An in-process MQTT broker (aedes, MQTT 3.1.1, in memory) for trying
// DialGuard without installing one: `dialguard broker`. Retained messages
// and queued call records live in memory only and are gone when it stops;
// use mosquitto or another real broker for a site.

import { createServer, Server } from "node:net"

export interface EmbeddedBroker {
    url: string
    host: string
    port: number
    close(): Promise<void>
}

export async function startEmbeddedBroker(
    port: number,
    host: string
): Promise<EmbeddedBroker> {
    const { Aedes } = await import("aedes") // loaded by `dialguard broker` only
    const aedes = await Aedes.createBroker({ drainTimeout: 30000 })
    const server: Server = createServer(aedes.handle)
    await new Promise<void>((resolve, reject) => {
        server.once("error", reject)
        server.listen(port, host, () => {
            server.off("error", reject)
            resolve()
        })
    })
    const addr = server.address()
    const actual = typeof addr === "object" && addr ? addr.port : port
    const shown = host.includes(":") ? `[${host}]` : host
    return {
        url: `mqtt://${shown}:${actual}`,
        host,
        port: actual,
        close: () =>
            new Promise<void>(resolve => {
                server.close(() => resolve())
                aedes.close()
            }),
    }
}
