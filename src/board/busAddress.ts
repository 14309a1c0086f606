// The --bus address of the commands that reach a board: the TCP port of
// `devs devtools`. Apart from src/board/bus.ts so that reading a command
// line does not load jacdac-ts.

import { UsageError } from "../command"

export const DEFAULT_BUS = "tcp://127.0.0.1:8082"

export interface BusAddress {
    host: string
    port: number
    /** tcp://host:port */
    url: string
}

/** --bus tcp://host:port; a UsageError says what is wrong. */
export function parseBusUrl(text: string): BusAddress {
    const bad = (why: string) =>
        new UsageError(`bad --bus ${JSON.stringify(text)}: ${why}`)
    let u: URL
    try {
        u = new URL(text)
    } catch {
        throw bad(`expected tcp://host:port, e.g. ${DEFAULT_BUS}`)
    }
    if (u.protocol !== "tcp:")
        throw bad(
            `only tcp:// is supported (the TCP port of devs devtools, ${DEFAULT_BUS})`
        )
    if (!u.hostname) throw bad("no host")
    if ((u.pathname && u.pathname !== "/") || u.search || u.hash)
        throw bad("nothing expected after host:port")
    const port = u.port ? Number(u.port) : 8082
    const host = u.hostname.replace(/^\[(.*)\]$/, "$1")
    return { host, port, url: `tcp://${u.hostname}:${port}` }
}
