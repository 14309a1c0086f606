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

/**
 * Listens on `host`:`port`. A listen error (port taken, no such address)
 * rejects after the broker is closed again: its timers would otherwise
 * keep the process alive.
 */
export async function startEmbeddedBroker(
    port: number,
    host: string
): Promise<EmbeddedBroker> {
    const { Aedes } = await import("aedes") // loaded by `dialguard broker` only
    const aedes = await Aedes.createBroker({ drainTimeout: 30000 })
    const server: Server = createServer(aedes.handle)
    try {
        await new Promise<void>((resolve, reject) => {
            server.once("error", reject)
            server.listen(port, host, () => {
                server.off("error", reject)
                resolve()
            })
        })
    } catch (e) {
        await new Promise<void>(resolve => aedes.close(() => resolve()))
        throw e
    }
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

/**
 * One line for a listen error of startEmbeddedBroker (undefined when it
 * is not one), e.g. "port 1883 on 127.0.0.1 is already in use".
 */
export function listenError(
    e: unknown,
    host: string,
    port: number
): string | undefined {
    const code = (e as NodeJS.ErrnoException)?.code
    if (code === "EADDRINUSE")
        return `port ${port} on ${host} is already in use (another MQTT broker running?)`
    if (code === "EADDRNOTAVAIL" || code === "ENOTFOUND")
        return `cannot listen on ${host}: no such address here`
    if (code === "EACCES") return `not allowed to listen on port ${port}`
    return undefined
}
