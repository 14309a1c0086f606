// A whole simulated site: N boards (sessions, each the real firmware in its
// own VM with its own bus and flash, up to 4 ports), one exchange routing
// calls and redirects between any extensions of any board, one record of
// every event, every board syncing with one MQTT broker through a link of
// its own (brokerLink.ts: a scenario can cut one board off).
//
// The site file (sim/sites/*.site.json, or YAML) says which board serves
// which extensions:
//   { "name": "HQ", "policy": "../policies/hq-site.policy.json",
//     "site": "hq",                              (MQTT site id, optional)
//     "boards": [ { "id": "floor3", "ports": ["8001", "8002"] }, ... ] }
// Each board is provisioned as `dialguard flash` would: its configuration
// (id, ports, ring, site, broker, site key), then its own share of the
// policy (devs/policy/boardPolicy.ts).

import { boardShare, codesForBoard } from "../src/fleet/authCodes"
import { dirname, resolve } from "node:path"
import type { Policy } from "../devs/policy/types"
import { checkPolicy } from "../src/policyFile"
import { UploadResult } from "../src/board/admin"
import { BrokerLink } from "./brokerLink"
import { FirmwareBuild } from "./build"
import { SimPort } from "./devices"
import { SimError } from "../src/board/errors"
import { Exchange } from "./exchange"
import { Recorder, SimEvent } from "../src/board/record"
import { loadJsonOrYaml } from "./docFile"
import { RingCadence, SimSession } from "./session"
import type { SipLineOptions } from "./sip/options"
import { loadSpecs } from "../src/board/specs"

export const MAX_PORTS_PER_BOARD = 4

export interface SiteBoard {
    id: string
    ports: string[]
}

export interface SiteSpec {
    name: string
    file?: string
    /** The MQTT site id (default: the policy's site.name, lower-cased). */
    siteId?: string
    /** The site policy (raw document), if any. */
    policy?: unknown
    policyFile?: string
    boards: SiteBoard[]
}

const BOARD_ID = /^[a-z0-9-]{1,32}$/
const EXTENSION = /^[0-9]{2,6}$/

/** Checks a site description (parsed from `file`, for the messages). */
export function checkSite(raw: unknown, file: string): SiteSpec {
    const fail = (msg: string): never => {
        throw new SimError(`${file}: ${msg}`)
    }
    if (typeof raw !== "object" || raw === null || Array.isArray(raw))
        fail("a site is an object with a list of boards")
    const o = raw as Record<string, unknown>
    for (const k of Object.keys(o))
        if (!["name", "description", "site", "policy", "boards"].includes(k))
            fail(
                `unknown field "${k}" (allowed: name, description, site, policy, boards)`
            )
    if (!Array.isArray(o.boards) || o.boards.length === 0)
        fail(
            `"boards": expected a list such as [{"id": "floor3", "ports": ["8001"]}]`
        )
    const seen = new Map<string, string>()
    const boards = (o.boards as unknown[]).map((b, i) => {
        const at = `boards[${i}]`
        if (typeof b !== "object" || b === null)
            fail(`${at}: expected an object`)
        const { id, ports, ...rest } = b as Record<string, unknown>
        if (Object.keys(rest).length)
            fail(
                `${at}: unknown field "${Object.keys(rest)[0]}" (allowed: id, ports)`
            )
        if (typeof id !== "string" || !BOARD_ID.test(id))
            fail(
                `${at}.id: a board id of a-z 0-9 - (1-32), got ${JSON.stringify(id)}`
            )
        if (
            !Array.isArray(ports) ||
            ports.length < 1 ||
            ports.length > MAX_PORTS_PER_BOARD
        )
            fail(
                `${at}.ports: 1 to ${MAX_PORTS_PER_BOARD} extensions (a board has 4 ports)`
            )
        for (const p of ports as unknown[]) {
            if (typeof p !== "string" || !EXTENSION.test(p))
                fail(
                    `${at}.ports: ${JSON.stringify(p)} is not an extension (2-6 digits, quoted)`
                )
            const other = seen.get(p as string)
            if (other)
                fail(`${at}.ports: ${p} is already served by board ${other}`)
            seen.set(p as string, id as string)
        }
        return { id: id as string, ports: ports as string[] }
    })
    const dup = boards.find(
        (b, i) => boards.findIndex(x => x.id === b.id) !== i
    )
    if (dup) fail(`board id ${dup.id} is used twice`)
    if (
        o.site !== undefined &&
        (typeof o.site !== "string" || !BOARD_ID.test(o.site))
    )
        fail(
            `"site": an MQTT site id of a-z 0-9 -, got ${JSON.stringify(o.site)}`
        )
    let policy: unknown
    let policyFile: string | undefined
    if (typeof o.policy === "string") {
        policyFile = resolve(dirname(file), o.policy)
        policy = loadJsonOrYaml(policyFile, "policy")
    } else if (o.policy !== undefined) policy = o.policy
    return {
        name: typeof o.name === "string" ? o.name : file,
        file,
        siteId: o.site as string | undefined,
        policy,
        policyFile,
        boards,
    }
}

export function parseSiteFile(file: string): SiteSpec {
    return checkSite(loadJsonOrYaml(file, "site"), file)
}

/** A valid policy, or a SimError with every problem. */
export function validSitePolicy(raw: unknown, what: string): Policy {
    const c = checkPolicy(raw)
    if (!c.policy) throw new SimError(`${what} is invalid:`, c.errors)
    return c.policy
}

/** The MQTT site id for a policy's site name, as `dialguard flash` makes it. */
export function siteIdOf(spec: SiteSpec): string {
    if (spec.siteId) return spec.siteId
    const name = (spec.policy as { site?: { name?: unknown } })?.site?.name
    const base = typeof name === "string" ? name : spec.name
    return base.toLowerCase().replace(/[^a-z0-9-]/g, "-") || "site"
}

export interface SiteOptions {
    firmware?: string
    ring?: RingCadence
    /** Simulated wall clock start (ms since 1970, UTC). */
    startTime?: number
    /** The log file of each board. */
    logFile: (board: string) => string
    onEvent?: (e: SimEvent) => void
    keepWorkDir?: boolean
    build?: FirmwareBuild
    /**
     * Fleet sync: every board syncs with this broker (plain mqtt://), each
     * through a BrokerLink of its own. Without it the boards run offline.
     */
    sync?: { brokerUrl: string; site: string; siteKey: string }
    /** The first board's bus port, if free (npm run sim: 8082). */
    busPort?: number
    /**
     * Upload the policy whole instead of each board's share (a one-board
     * scenario, as before sites existed).
     */
    wholePolicy?: boolean
    /** More board configuration for every board (a scenario's boardConfig). */
    configExtra?: Record<string, unknown>
    /** Every board's SIP Lines speak SIP to this server (sim/sip/). */
    sip?: SipLineOptions
}

export class SimSite {
    readonly rec = new Recorder()
    readonly exchange: Exchange
    readonly sessions: SimSession[] = []
    readonly links = new Map<string, BrokerLink>()

    private constructor(
        readonly spec: SiteSpec,
        readonly opts: SiteOptions,
        readonly build: FirmwareBuild
    ) {
        if (opts.onEvent) this.rec.on("event", opts.onEvent)
        this.exchange = new Exchange(this.rec, loadSpecs(build.servicesFile))
    }

    /** Every board started at once, configured (no policy yet: see provision). */
    static async start(spec: SiteSpec, opts: SiteOptions): Promise<SimSite> {
        const build =
            opts.build ??
            (await FirmwareBuild.make({
                firmware: opts.firmware,
                log: () => {},
            }))
        const site = new SimSite(spec, opts, build)
        try {
            await site.init()
        } catch (e) {
            await site.stop()
            throw e
        }
        return site
    }

    private async init() {
        const { spec, opts } = this
        const sync = opts.sync
        if (sync)
            for (const b of spec.boards)
                this.links.set(b.id, await BrokerLink.open(sync.brokerUrl))
        const started = await Promise.allSettled(
            spec.boards.map((b, i) =>
                SimSession.start({
                    build: this.build,
                    board: b.id,
                    ports: b.ports,
                    // the first is VM_DEVICE_ID, as a single board's
                    deviceId:
                        "d1a16a2d5130" + (i + 1).toString(16).padStart(4, "0"),
                    ring: opts.ring,
                    logFile: opts.logFile(b.id),
                    startTime: opts.startTime,
                    keepWorkDir: opts.keepWorkDir,
                    busPort: i === 0 ? opts.busPort : undefined,
                    exchange: this.exchange,
                    rec: this.rec,
                    sip: opts.sip,
                    configExtra: {
                        ...opts.configExtra,
                        ...(sync && {
                            site: sync.site,
                            broker: { url: this.links.get(b.id)!.url },
                            siteKey: sync.siteKey,
                        }),
                    },
                })
            )
        )
        for (const r of started)
            if (r.status === "fulfilled") this.sessions.push(r.value)
        const failed = started.find(r => r.status === "rejected")
        if (failed) throw (failed as PromiseRejectedResult).reason
    }

    get boards(): string[] {
        return this.spec.boards.map(b => b.id)
    }

    get extensions(): string[] {
        return this.spec.boards.flatMap(b => b.ports)
    }

    session(board: string): SimSession {
        const s = this.sessions.find(s => s.board === board)
        if (!s)
            throw new SimError(
                `no board ${board} in the site (boards: ${this.boards.join(", ")})`
            )
        return s
    }

    /** The board serving extension `ext`, if any. */
    sessionOf(ext: string): SimSession | undefined {
        return this.sessions.find(s => s.opts.ports.includes(ext))
    }

    port(ext: string): SimPort {
        const s = this.sessionOf(ext)
        if (!s)
            throw new SimError(
                `no simulated port serves extension ${ext} (ports: ${this.extensions.join(", ")})`
            )
        return s.port(ext)
    }

    /** The boards named, or every board. */
    targets(board?: string): SimSession[] {
        return board === undefined ? this.sessions : [this.session(board)]
    }

    get problems(): string[] {
        return this.sessions.flatMap(s =>
            s.problems.map(p =>
                this.sessions.length > 1 ? `${s.board}: ${p}` : p
            )
        )
    }

    /**
     * Uploads a policy to the board(s): each its own share (as `dialguard
     * flash` does), or the whole policy with `wholePolicy`.
     */
    async uploadPolicy(
        raw: unknown,
        board?: string
    ): Promise<{ board: string; result: UploadResult }[]> {
        const whole = this.opts.wholePolicy
        let policy: Policy | undefined
        if (!whole) {
            const c = checkPolicy(raw)
            // an invalid policy goes as it is: the board is to refuse it
            policy = c.policy
        }
        const key = this.siteKey()
        return Promise.all(
            this.targets(board).map(async s => ({
                board: s.board,
                result: await s.upload(
                    "policy",
                    policy
                        ? boardShare(policy, s.board, s.opts.ports, key)
                        : withBoardCodes(raw, key, s.board)
                ),
            }))
        )
    }

    /** The site key the boards' keys derive from (their sync or the scenario's boardConfig). */
    private siteKey(): Buffer | undefined {
        const hex =
            this.opts.sync?.siteKey ?? this.opts.configExtra?.["siteKey"]
        return typeof hex === "string" ? Buffer.from(hex, "hex") : undefined
    }

    /** Waits for every board (or one) to take on its ports; what is missing. */
    async waitPortsReady(board?: string): Promise<string[]> {
        const missing = await Promise.all(
            this.targets(board).map(s => s.waitPortsReady())
        )
        return missing.flat()
    }

    link(board: string): BrokerLink {
        this.session(board)
        const l = this.links.get(board)
        if (!l)
            throw new SimError("the site runs without a broker: no link to cut")
        return l
    }

    async stop() {
        await Promise.all(this.sessions.map(s => s.stop()))
        this.exchange.stop()
        await Promise.all([...this.links.values()].map(l => l.close()))
    }
}

/**
 * A whole policy as a board gets it: sealed codes made HMACs with the
 * board's key, as `flash` and `push` do (anything else goes as it is: the
 * board is to refuse what is wrong).
 */
function withBoardCodes(raw: unknown, key: Buffer | undefined, board: string) {
    const codes = (raw as any)?.authCodes
    if (!key || !Array.isArray(codes) || !codes.every(c => c?.sealed))
        return raw
    return { ...(raw as any), authCodes: codesForBoard(codes, key, board) }
}
