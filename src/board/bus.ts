// The CLI's way onto a board's Jacdac bus: a TCP connection to `devs
// devtools` (port 8082), which bridges the simulator's VM and, started with
// --serial, a board on USB. jacdac-ts as the simulator uses it (sim/jd.ts),
// the DialGuard Admin service spec read from services/dialguardadmin.md.

import { readFileSync } from "node:fs"
import { connect } from "node:net"
import { format } from "node:util"
import { AdminClient } from "./admin"
import { jacdacConsole, jd, tcpTransport } from "./jd"
import type { JDBus } from "./jd"
import { Recorder } from "./record"
import type { ServiceSpec } from "./specs"
import { CliError } from "../command"
import type { BusAddress } from "./busAddress"

const SPEC_FILE = new URL("../../services/dialguardadmin.md", import.meta.url)

/** After the first board answers, how long to listen for others (announces come every 0.5 s). */
const DISCOVERY_EXTRA_MS = 1200
const PROBE_TIMEOUT_MS = 3000

const NET_ERRORS: Record<string, string> = {
    ECONNREFUSED: "connection refused",
    ENOTFOUND: "unknown host",
    EAI_AGAIN: "host name lookup failed",
    EHOSTUNREACH: "host unreachable",
    ENETUNREACH: "network unreachable",
    ETIMEDOUT: "connection timed out",
}

/** Fails fast, with one line, when nothing listens at `addr`. */
function probe(addr: BusAddress): Promise<void> {
    return new Promise((resolve, reject) => {
        const s = connect(addr.port, addr.host)
        const fail = (why: string) => {
            s.destroy()
            reject(
                new CliError(
                    `cannot reach the DeviceScript bus at ${addr.url} (${why}): ` +
                        "start the simulator (npm run sim) or, for a board on USB, " +
                        "'npx devs devtools --serial'; nothing was sent"
                )
            )
        }
        s.setTimeout(PROBE_TIMEOUT_MS, () => fail("connection timed out"))
        s.once("connect", () => {
            s.destroy()
            resolve()
        })
        s.once("error", (e: NodeJS.ErrnoException) =>
            fail(NET_ERRORS[e.code ?? ""] ?? e.message)
        )
    })
}

/**
 * The DialGuard Admin spec, as `devs build` makes it for the firmware
 * (.devicescript/services.json): the service's packets after those every
 * service has (_base). Read from the source, so the CLI needs no build.
 */
export function adminSpec(): ServiceSpec {
    const md = readFileSync(SPEC_FILE, "utf8")
    const spec = jd.parseServiceSpecificationMarkdownToJSON(md, {})
    const base = jd.serviceSpecificationFromName("_base")
    spec.shortId = "dialguardadmin"
    spec.extends = ["_base"]
    spec.packets = [
        ...base.packets.map(p => ({ ...p, derived: "_base" })),
        ...spec.packets,
    ]
    return spec
}

/**
 * jacdac-ts chats on the console ("tcp: connecting", "roles updated"), also
 * from timers after the bus is closed; the CLI's own output goes through
 * process.stdout/stderr, so the console stays quiet from here on.
 * DIALGUARD_DEBUG shows the chatter on stderr.
 */
function quietConsole() {
    const sink = process.env["DIALGUARD_DEBUG"]
        ? (...a: unknown[]) => process.stderr.write(`jacdac: ${format(...a)}\n`)
        : () => {}
    for (const k of ["log", "info", "debug", "warn", "error"] as const)
        console[k] = sink
    jacdacConsole.warn = sink
    jacdacConsole.debug = sink
}

export interface BoardConnection {
    bus: JDBus
    admin: AdminClient
    /** The device hosting the board's admin service. */
    deviceId: string
    close(): Promise<void>
}

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))

/**
 * Connects to the bus at `addr` and finds the one board on it (or the one
 * with `deviceId`); CliErrors (exit 1) when there is none or more than one.
 */
export async function connectBoard(
    addr: BusAddress,
    deviceId: string | undefined,
    timeoutMs: number
): Promise<BoardConnection> {
    await probe(addr)
    quietConsole()
    const spec = adminSpec()
    const bus = new jd.JDBus([tcpTransport(addr.host, addr.port)], {
        services: [spec],
    })
    bus.autoConnect = true
    const rec = new Recorder()
    const all = new AdminClient(bus, { admin: spec }, rec)
    let admin: AdminClient | undefined
    const close = async () => {
        all.dispose()
        admin?.dispose()
        await bus.disconnect()
        bus.stop()
    }
    try {
        await bus.connect()
        const ids = await discover(all, deviceId, timeoutMs)
        const others = (ids: string[]) =>
            ids.length ? ` (boards on the bus: ${ids.join(", ")})` : ""
        if (deviceId && !ids.includes(deviceId))
            throw new CliError(
                `no DialGuard board with device id ${deviceId} on the bus at ${addr.url}${others(ids)}; nothing was sent`
            )
        if (!ids.length)
            throw new CliError(
                `no DialGuard board answered on the bus at ${addr.url} within ${timeoutMs / 1000} s ` +
                    "(is the DialGuard firmware deployed and running? 'npx devs devtools devs/main.ts --serial' deploys it); nothing was sent"
            )
        if (!deviceId && ids.length > 1)
            throw new CliError(
                `${ids.length} DialGuard boards on the bus at ${addr.url}: ${ids.join(", ")}; ` +
                    "choose one with --device ID; nothing was sent"
            )
        const id = deviceId ?? ids[0]
        admin = new AdminClient(bus, { admin: spec }, rec, { deviceId: id })
        return { bus, admin, deviceId: id, close }
    } catch (e) {
        await close()
        throw e
    }
}

/** Device ids of the boards heard within `timeoutMs` (stops early once `want` or a first board is heard). */
async function discover(
    all: AdminClient,
    want: string | undefined,
    timeoutMs: number
): Promise<string[]> {
    const ids = () => [...new Set(all.services().map(s => s.device.deviceId))]
    const end = Date.now() + timeoutMs
    while (Date.now() < end && ids().length === 0) await sleep(100)
    if (want && ids().includes(want)) return ids()
    const more = Math.min(DISCOVERY_EXTRA_MS, Math.max(0, end - Date.now()))
    await sleep(more)
    // --device not (yet) heard: wait out the timeout for it
    while (want && Date.now() < end && !ids().includes(want)) await sleep(100)
    return ids()
}
