// What `dialguard flash` will send, built and checked on the host before
// anything goes to the board: the configuration document (checked with the
// board's own validateConfig), the site key and the board's cut of the
// policy (boardPolicyDoc). Problems in the options are one UsageError
// (exit 2); problems in the files one CliError listing them all (exit 1).

import { BoardConfig, validateConfig } from "../../devs/app/boardConfig"
import { boardShare } from "../fleet/authCodes"
import { Policy } from "../../devs/policy/types"
import { CliError, Parsed, required, UsageError } from "../command"
import { ENV_PASSWORD, ENV_USERNAME } from "../fleet/broker"
import { siteOption } from "../fleet/options"
import { resolveSite } from "../fleet/push"
import { boardKey, readKeyFile } from "../fleet/sign"
import { policyText } from "../../devs/policy/policyLines"
import {
    MAX_POLICY_PAYLOAD,
    POLICY_MESSAGE_VERSION,
    policyLineProblem,
    policyMessageText,
} from "../fleet/topics"
import { loadPolicy } from "../policyFile"
import { withoutLogin } from "../secrets"

/** The largest upload the board takes (MAX_UPLOAD in devs/app/adminServer.ts). */
export const BOARD_MAX_UPLOAD = 16384

export interface Prepared {
    /** The configuration as the board will hold it (the key included). */
    configText: string
    config: BoardConfig
    /** Where the username came from, for the summary. */
    usernameFrom?: "--username" | typeof ENV_USERNAME
    keyFile?: string
    policy?: {
        file: string
        version: number
        text: string
        /** Handsets of the policy on this board's ports, of all. */
        own: number
        all: number
    }
    warnings: string[]
}

const SYNC_FLAGS = ["site", "key", "username", "password"] as const

/** The configuration's keys (as validateConfig names them) → the options. */
const OPTION_OF: Record<string, string> = {
    board: "--board",
    ports: "--ports",
    ringOnMs: "--ring-on-ms",
    ringCycleMs: "--ring-cycle-ms",
    site: "--site",
    siteKey: "--key",
    boardKey: "--key",
    "broker.url": "--broker",
    "broker.username": "--username",
    "broker.password": "--password",
}

/** A validateConfig error ("ports[1]: must be ...") in terms of the options. */
function flagProblem(error: string, doc: Record<string, any>): string {
    const i = error.indexOf(": ")
    const path = error.slice(0, i)
    let why = error.slice(i + 2)
    for (const k of ["ringOnMs", "ringCycleMs"])
        why = why.split(k).join(OPTION_OF[k])
    const item = /^ports\[(\d+)\]$/.exec(path)
    if (item) {
        const n = Number(item[1])
        return `bad --ports item ${n + 1} ${JSON.stringify(doc["ports"][n])}: ${why}`
    }
    const opt = OPTION_OF[path] ?? path
    const value =
        path === "broker.url"
            ? withoutLogin(doc["broker"]?.url)
            : path === "board" || path === "site"
              ? doc[path]
              : undefined
    return `bad ${opt}${value !== undefined ? " " + JSON.stringify(value) : ""}: ${why}`
}

function str(p: Parsed, name: string): string | undefined {
    const v = p.values[name]
    return typeof v === "string" ? v : undefined
}

function wholeMs(p: Parsed, name: string): number | undefined {
    const v = str(p, name)
    if (v === undefined) return undefined
    if (!/^\d+$/.test(v))
        throw new UsageError(
            `bad --${name} ${JSON.stringify(v)} (a whole number of milliseconds)`
        )
    return Number(v)
}

/** "8001,8002" → ["8001","8002"]; spaces around commas are fine. */
export function parsePorts(text: string): string[] {
    const ports = text.split(",").map(s => s.trim())
    if (ports.some(s => s === ""))
        throw new UsageError(
            `bad --ports ${JSON.stringify(text)}: an empty extension (write --ports 8001,8002)`
        )
    return ports
}

/**
 * The configuration document from the options, checked with the board's
 * rules; `siteKey` is filled in later (from the key file).
 */
function configFromOptions(
    p: Parsed,
    site: string | undefined
): {
    doc: Record<string, unknown>
    usernameFrom?: Prepared["usernameFrom"]
} {
    const board = required(p, "board", "ID (the board's id, e.g. desk-a)")
    const ports = parsePorts(
        required(p, "ports", "EXT,... (the extension of each handset port)")
    )
    const doc: Record<string, unknown> = { board, ports }
    const on = wholeMs(p, "ring-on-ms")
    const cycle = wholeMs(p, "ring-cycle-ms")
    if (on !== undefined) doc["ringOnMs"] = on
    if (cycle !== undefined) doc["ringCycleMs"] = cycle
    const url = str(p, "broker")
    let usernameFrom: Prepared["usernameFrom"]
    if (url === undefined) {
        const stray = SYNC_FLAGS.find(f => p.values[f] !== undefined)
        if (stray)
            throw new UsageError(
                `--${stray} needs --broker (the site's MQTT broker the board syncs with)`
            )
    } else {
        if (str(p, "key") === undefined)
            throw new UsageError(
                "missing --key KEYFILE (a board that syncs with a broker needs the site key)"
            )
        if (site === undefined && str(p, "policy") === undefined)
            throw new UsageError(
                "missing --site ID (or --policy FILE to take it from the policy's site.name)"
            )
        const env = process.env
        const flagUser = str(p, "username")
        const username = flagUser ?? (env[ENV_USERNAME] || undefined)
        const password = str(p, "password") ?? (env[ENV_PASSWORD] || undefined)
        if (username !== undefined)
            usernameFrom = flagUser !== undefined ? "--username" : ENV_USERNAME
        if (password !== undefined && username === undefined)
            throw new UsageError(
                `a password needs a username (--username or ${ENV_USERNAME})`
            )
        const broker: Record<string, string> = { url }
        if (username !== undefined) broker["username"] = username
        if (password !== undefined) broker["password"] = password
        // Stand-ins until the files are read: the site from the policy,
        // the key from the key file (both checked there).
        doc["site"] = site ?? "site"
        doc["broker"] = broker
        doc["siteKey"] = "0".repeat(64)
    }
    const v = validateConfig(doc)
    if (v.errors.length)
        throw new UsageError(v.errors.map(e => flagProblem(e, doc)).join("; "))
    return { doc, usernameFrom }
}

/** A CliError for one or several file problems. */
function fileProblems(errors: CliError[]): CliError {
    if (errors.length === 1) {
        const e = errors[0]
        return new CliError(`${e.message}; nothing was sent`, e.details)
    }
    const lines = errors.flatMap(e => [`  ${e.message}`, ...e.details])
    return new CliError(
        `${errors.length} problems; nothing was sent to the board:`,
        lines
    )
}

/** Everything `flash` sends, checked; throws before anything is sent. */
export function prepare(p: Parsed): Prepared {
    const policyFile = str(p, "policy")
    const keyFile = str(p, "key")
    const siteFlag = siteOption(p)
    // The options first (exit 2), then the files, every problem at once.
    const { doc, usernameFrom } = configFromOptions(p, siteFlag)
    const errors: CliError[] = []
    const attempt = <T>(f: () => T): T | undefined => {
        try {
            return f()
        } catch (e) {
            if (!(e instanceof CliError)) throw e
            errors.push(e)
            return undefined
        }
    }
    const key =
        keyFile !== undefined ? attempt(() => readKeyFile(keyFile)) : undefined
    const loaded =
        policyFile !== undefined
            ? attempt(() => loadPolicy(policyFile))
            : undefined
    if (doc["broker"] !== undefined && siteFlag === undefined && loaded) {
        const name = loaded.policy.site.name
        attempt(() => (doc["site"] = resolveSite(undefined, name)))
    }
    if (errors.length) throw fileProblems(errors)
    // the board gets only its own key, derived from the site key: a stolen
    // board's flash signs nothing for the other boards
    if (key) {
        delete doc["siteKey"]
        doc["boardKey"] = boardKey(key, String(doc["board"])).toString("hex")
    }
    const configText = JSON.stringify(doc)
    const v = validateConfig(doc)
    if (!v.config) throw new Error("config invalid after checks: " + v.errors)
    const out: Prepared = {
        configText,
        config: v.config,
        usernameFrom,
        keyFile,
        warnings: [],
    }
    if (loaded && policyFile !== undefined)
        out.policy = cut(loaded.policy, policyFile, v.config, out.warnings, key)
    return out
}

/** The board's share of the policy, as the text uploaded. */
function cut(
    policy: Policy,
    file: string,
    config: BoardConfig,
    warnings: string[],
    key: Buffer | undefined
): NonNullable<Prepared["policy"]> {
    if (policy.authCodes?.length && !key)
        warnings.push(
            `${file} has authorization codes, but a board flashed without --key has no key to check them with: its handsets get no code entry`
        )
    const doc = boardShare(policy, config.board, config.ports, key)
    const text = policyText(doc)
    const bytes = Buffer.byteLength(text, "utf8")
    if (bytes > BOARD_MAX_UPLOAD)
        throw new CliError(
            `the policy for board ${config.board} is ${bytes} bytes, the board takes at most ${BOARD_MAX_UPLOAD} ` +
                `(${policy.handsets.length} handsets in ${file}: the other extensions alone take ${Buffer.byteLength(doc.extensions)}); nothing was sent`
        )
    const long = policyLineProblem(text)
    if (long)
        throw new CliError(
            `the policy for board ${config.board} has ${long}: number the other extensions of ${file} in blocks, or split the site; nothing was sent`
        )
    if (config.sync) {
        // the message `policy push` would send this board (sig: 64 hex)
        const msg = policyMessageText({
            v: POLICY_MESSAGE_VERSION,
            site: config.sync.site,
            board: config.board,
            version: policy.version,
            policy: text,
            sig: "0".repeat(64),
        })
        const n = Buffer.byteLength(msg)
        if (n > MAX_POLICY_PAYLOAD)
            warnings.push(
                `board ${config.board}'s share of ${file} makes a ${n}-byte policy message: ` +
                    `more than the ${MAX_POLICY_PAYLOAD} bytes a policy push can carry to it later`
            )
    }
    const known = new Set(policy.handsets.map(h => h.extension))
    for (const ext of config.ports)
        if (!known.has(ext))
            warnings.push(
                `extension ${ext} is not in ${file}: that port gets internal and emergency calls only`
            )
    return {
        file,
        version: policy.version,
        text,
        own: doc.handsets.length,
        all: policy.handsets.length,
    }
}
