// The board's own configuration (not the site policy): which extension each
// handset port serves, the ring cadence, and optionally the site it syncs
// with over MQTT (`site`, `broker`, `boardKey` or `siteKey`: devs/sync/config.ts).
// Provisioned through the admin service (kind Config) and kept in flash.
// Portable: no @devicescript/* import.

import { extensionProblem } from "../policy/validate"
import { CHINA_RING, RingCadence } from "../phone/handsetPort"
import {
    isTopicId,
    parseBrokerUrl,
    SyncConfig,
    validateSync,
} from "../sync/config"

export interface BoardConfig {
    board: string
    /** ports[i] is the extension of handset port i. */
    ports: string[]
    ring: RingCadence
    /** Undefined: no broker, the board runs offline. */
    sync?: SyncConfig
    /**
     * Issue 12, test-only speed-up (like the ring cadence): ms per second
     * of the call-length timers; 1000 unless set.
     */
    callSecondMs: number
}

export const MAX_PORTS = 4

/** Checks a parsed config document; `config` is set only when there are no errors. */
export function validateConfig(raw: any): {
    config?: BoardConfig
    errors: string[]
} {
    const errors: string[] = []
    if (typeof raw !== "object" || raw === null || Array.isArray(raw))
        return { errors: ["(config): must be a JSON object"] }
    const known = [
        "board",
        "ports",
        "ringOnMs",
        "ringCycleMs",
        "site",
        "broker",
        "siteKey",
        "callSecondMs",
        "boardKey",
    ]
    for (const k of Object.keys(raw))
        if (known.indexOf(k) < 0) errors.push(k + ": unknown key")
    if (
        typeof raw.board !== "string" ||
        raw.board.length === 0 ||
        raw.board.length > 32
    )
        errors.push("board: must be a name of 1-32 characters")
    const ports: string[] = []
    if (
        !Array.isArray(raw.ports) ||
        raw.ports.length < 1 ||
        raw.ports.length > MAX_PORTS
    )
        errors.push("ports: must list 1-" + MAX_PORTS + " extensions")
    else
        for (let i = 0; i < raw.ports.length; ++i) {
            const e = raw.ports[i]
            // The extension check of the policy (validatePolicy).
            const problem = extensionProblem(e)
            if (problem)
                errors.push("ports[" + i + "]: an extension " + problem)
            else if (ports.indexOf(e) >= 0)
                errors.push("ports[" + i + "]: duplicate extension " + e)
            ports.push(e)
        }
    const onMs = raw.ringOnMs === undefined ? CHINA_RING.onMs : raw.ringOnMs
    const cycleMs =
        raw.ringCycleMs === undefined ? CHINA_RING.cycleMs : raw.ringCycleMs
    if (typeof onMs !== "number" || onMs < 50 || onMs > 10000)
        errors.push("ringOnMs: must be 50-10000")
    if (typeof cycleMs !== "number" || cycleMs < onMs + 50 || cycleMs > 30000)
        errors.push(
            "ringCycleMs: must be longer than ringOnMs and at most 30000"
        )
    const callSecondMs = raw.callSecondMs || 1000
    if (!(callSecondMs >= 1 && callSecondMs <= 1000))
        errors.push("callSecondMs: must be 1-1000 (ms per call-length second)")
    const sync = validateSync(raw, errors)
    if (errors.length) return { errors }
    return {
        config: {
            board: raw.board,
            ports,
            ring: { onMs, cycleMs },
            sync,
            callSecondMs,
        },
        errors,
    }
}

/**
 * The board's check of a configuration (from flash, or uploaded by
 * `dialguard flash`, which checked it whole with validateConfig and its
 * messages first): what the board needs to start, the first problem only.
 * Apart from validateConfig because the VM takes an image of at most 64 KB
 * of function bytecode: validateConfig is not compiled into the firmware.
 */
export function guardConfig(raw: any): {
    config?: BoardConfig
    errors: string[]
} {
    let bad = ""
    raw = raw || {}
    const ports = raw.ports
    const onMs = raw.ringOnMs !== undefined ? raw.ringOnMs : CHINA_RING.onMs
    const cycleMs =
        raw.ringCycleMs !== undefined ? raw.ringCycleMs : CHINA_RING.cycleMs
    const callSecondMs = raw.callSecondMs || 1000
    if (typeof raw.board !== "string" || !raw.board) bad = "board"
    else if (
        !Array.isArray(ports) ||
        ports.length < 1 ||
        ports.length > MAX_PORTS
    )
        bad = "ports"
    else if (!(onMs >= 50 && cycleMs >= onMs + 50 && cycleMs <= 30000))
        bad = "ringOnMs"
    else if (!(callSecondMs >= 1 && callSecondMs <= 1000)) bad = "callSecondMs"
    else
        for (let i = 0; i < ports.length; ++i)
            if (extensionProblem(ports[i]) || ports.indexOf(ports[i]) !== i)
                bad = "ports"
    let sync: SyncConfig | undefined = undefined
    if (
        !bad &&
        (raw.site !== undefined ||
            raw.broker !== undefined ||
            raw.siteKey !== undefined ||
            raw.boardKey !== undefined)
    ) {
        const b = raw.broker || {}
        const url = parseBrokerUrl(b.url)
        const key = raw.boardKey !== undefined ? raw.boardKey : raw.siteKey
        if (
            !isTopicId(raw.site) ||
            !isTopicId(raw.board) ||
            typeof url === "string" ||
            typeof key !== "string" ||
            key.length !== 64
        )
            bad = "site, broker and key"
        else {
            sync = {
                site: raw.site,
                url: b.url,
                host: url.host,
                port: url.port,
                tls: url.tls,
                username: b.username,
                password: b.password,
            }
            if (raw.boardKey !== undefined) sync.boardKey = key.toLowerCase()
            else sync.siteKey = key.toLowerCase()
        }
    }
    if (bad)
        return { errors: [bad + ": malformed (check it with dialguard flash)"] }
    return {
        config: {
            board: raw.board,
            ports,
            ring: { onMs, cycleMs },
            sync,
            callSecondMs,
        },
        errors: [],
    }
}
