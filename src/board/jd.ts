// jacdac-ts, loaded from its CommonJS build: the ESM build cannot
// `require("net")`, so its TCP transport silently never connects under
// Node ESM (tsx). Its package.json has no "types" export condition, so the
// types are imported from their file.
//
// jacdac-ts keeps the console.warn/debug it finds when loaded; they are
// routed through jacdacConsole so the simulator can send its chatter
// ("crc mismatch", "roles updated") to the session log.

import { createRequire } from "node:module"
import type * as Jacdac from "../../node_modules/jacdac-ts/dist/types/src/jacdac"

export type * from "../../node_modules/jacdac-ts/dist/types/src/jacdac"

type Log = (...args: unknown[]) => void

/** Where jacdac-ts' console.warn/debug go (default: the console). */
export const jacdacConsole: { warn: Log; debug: Log } = {
    warn: (...a) => console.warn(...a),
    debug: (...a) => console.debug(...a),
}

function load(): typeof Jacdac {
    const { warn, debug } = console
    console.warn = (...a: unknown[]) => jacdacConsole.warn(...a)
    console.debug = (...a: unknown[]) => jacdacConsole.debug(...a)
    try {
        return createRequire(import.meta.url)("jacdac-ts")
    } finally {
        console.warn = warn
        console.debug = debug
    }
}

export const jd = load()

/**
 * jacdac-ts over TCP to a Jacdac bus in devtools' framing (a board's bus,
 * sim/hub.ts, or `devs devtools`; port 8082 by default),
 * without frame CRC checks: TCP is reliable, and the WASM VM sends some
 * multi-packet frames (role manager pipe data, admin events) with a wrong
 * CRC, which jacdac-ts would drop.
 */
export function tcpTransport(host = "127.0.0.1", port = 8082) {
    const t = jd.createNodeSocketTransport(port, host)
    type Frames = { handleFrame(payload: Uint8Array, skipCrc?: boolean): void }
    const f = t as unknown as Frames
    const handleFrame = f.handleFrame.bind(t)
    f.handleFrame = payload => handleFrame(payload, true)
    return t
}
