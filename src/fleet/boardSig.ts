// Signed board messages (src/fleet/PROTOCOL.md, "Signed board messages"):
// a board's message M (a JSON object) goes out as M without its "}", then
// N = ,"n":[boot,count] and ,"sig":"<64 hex>"} where sig is
// HMAC-SHA256(the board's key, topic + M + N). This checks one message, and keeps
// the counters ("n") already accepted per topic so that an older message
// published again (a replay) is refused.

import {
    copyFileSync,
    existsSync,
    readFileSync,
    renameSync,
    writeFileSync,
} from "node:fs"
import { boardKey, readKeyFileWarned, verify } from "./sign"
import { UsageError } from "../command"
import { parseTopic } from "./topics"

/** [boot, count]: the boot number of the board's start, its messages of that start. */
export type Counter = [number, number]

const N_HEAD = ',"n":['
const SIG_HEAD = ',"sig":"'
const SIG_TAIL = '"}'
const SIG_LEN = SIG_HEAD.length + 64 + SIG_TAIL.length

/** One message, checked: `value` is its JSON without "n" (and "sig"). */
export interface Opened {
    /** signed: the signature verified; unsigned: it has none. */
    status: "signed" | "unsigned" | "forged"
    value?: any
    n?: Counter
    /** Why it is forged or unreadable. */
    error?: string
    /** Signed, but with the key being replaced (BoardVerifier's oldKey). */
    oldKey?: boolean
}

function isWhole(v: any): boolean {
    return (
        typeof v === "number" &&
        v >= 0 &&
        Math.floor(v) === v &&
        v <= Number.MAX_SAFE_INTEGER
    )
}

function isCounter(v: any): v is Counter {
    return Array.isArray(v) && v.length === 2 && isWhole(v[0]) && isWhole(v[1])
}

/** Compares counters: negative when a is older than b. */
export function compareCounters(a: Counter, b: Counter): number {
    return a[0] !== b[0] ? a[0] - b[0] : a[1] - b[1]
}

export function counterText(n: Counter): string {
    return `[${n[0]},${n[1]}]`
}

/**
 * Checks the signature of a board message on `topic` with `key` (the
 * board's key). A message without the signature's tail is "unsigned"
 * (parsed when it is JSON); one with a tail that does not verify, or
 * without a proper "n", is "forged".
 */
export function openSigned(topic: string, text: string, key: Buffer): Opened {
    const at = text.length - SIG_LEN
    const hasSig =
        at > 0 &&
        text.startsWith(SIG_HEAD, at) &&
        text.endsWith(SIG_TAIL) &&
        /^[0-9a-f]{64}$/.test(text.slice(at + SIG_HEAD.length, -2))
    if (!hasSig) {
        let value: any
        try {
            value = JSON.parse(text)
        } catch {
            return { status: "unsigned", error: "not JSON" }
        }
        if (value && typeof value === "object" && "sig" in value)
            return {
                status: "forged",
                error: '"sig" is not the last field as the boards write it',
            }
        return { status: "unsigned", value }
    }
    // M without its "}", then N: the HMAC is of topic + M + N
    const prefix = text.slice(0, at)
    const sig = text.slice(at + SIG_HEAD.length, -2)
    const cut = prefix.lastIndexOf(N_HEAD)
    if (cut < 0) return { status: "forged", error: '"n" must be [boot, count]' }
    const m = prefix.slice(0, cut) + "}"
    if (!verify(key, topic + m + prefix.slice(cut), sig))
        return { status: "forged", error: "signature does not verify" }
    let value: any
    try {
        value = JSON.parse(prefix + "}")
    } catch {
        return { status: "forged", error: "signed text is not JSON" }
    }
    if (!value || typeof value !== "object" || !isCounter(value.n))
        return { status: "forged", error: '"n" must be [boot, count]' }
    const n = value.n as Counter
    delete value.n
    return { status: "signed", value, n }
}

/** dialguard/<site>/<board>/state of a topic of that board. */
function stateTopicOf(topic: string): string {
    return topic.split("/").slice(0, 3).join("/") + "/state"
}

/** The board id of a topic dialguard/<site>/<board>/... */
function boardOfTopic(topic: string): string {
    return topic.split("/")[2] ?? ""
}

/**
 * Checks the board messages of a site with its key: derives each board's
 * key once, and says per message whether it may be used.
 */
export class BoardVerifier {
    private keys = new Map<string, Buffer>()
    private oldKeys = new Map<string, Buffer>()
    /**
     * `oldKey`: during a key rotation, the site key being replaced: a
     * message that verifies only with it is signed, marked `oldKey`.
     */
    constructor(
        readonly siteKey: Buffer | undefined,
        readonly oldKey?: Buffer
    ) {}

    keyOf(board: string): Buffer {
        let k = this.keys.get(board)
        if (!k) this.keys.set(board, (k = boardKey(this.siteKey!, board)))
        return k
    }

    private oldKeyOf(board: string): Buffer {
        let k = this.oldKeys.get(board)
        if (!k) this.oldKeys.set(board, (k = boardKey(this.oldKey!, board)))
        return k
    }

    /** Verification of one message; without a site key, "unsigned" as read. */
    open(topic: string, text: string): Opened {
        if (!this.siteKey) {
            const o = openSigned(topic, text, Buffer.alloc(32))
            // (nothing is verified: a signed message is read as it is)
            if (o.status === "unsigned") return o
            try {
                const value = JSON.parse(text)
                const n = isCounter(value?.n) ? (value.n as Counter) : undefined
                if (value && typeof value === "object") {
                    delete value.n
                    delete value.sig
                }
                return { status: "unsigned", value, n }
            } catch {
                return { status: "unsigned", error: "not JSON" }
            }
        }
        const board = boardOfTopic(topic)
        const o = openSigned(topic, text, this.keyOf(board))
        if (o.status !== "forged" || !this.oldKey) return o
        const old = openSigned(topic, text, this.oldKeyOf(board))
        return old.status === "signed" ? { ...old, oldKey: true } : o
    }
}

/** Why a board message is not used, for the warnings: "" when it is. */
export function refusalOf(o: Opened, verifying: boolean): string {
    if (!verifying) return ""
    if (o.status === "forged") return `forged (${o.error})`
    if (o.status === "unsigned")
        return "unsigned (firmware before signed messages, or forged)"
    return ""
}

/** What is remembered of one topic. */
export interface SeenEntry {
    /** The newest counter accepted on the topic. */
    n: Counter
    /** State topics: "ts" of the state accepted. */
    ts?: number
    /** State topics: the lowest boot accepted since the board's count last started again. */
    first?: number
    /**
     * State topics: boots [lo, hi] of the board's life before its count
     * started again (a fresh flash): their messages are old ones.
     */
    retired?: [number, number][]
}

/**
 * The counters accepted per topic ("n"), kept in a JSON file between runs
 * (for status and report: KEYFILE.seen.json) so that a retained message
 * replaced by an older one of the same board is noticed.
 */
export class SeenCounters {
    private seen: Record<string, SeenEntry> = {}
    private changed = false
    readonly warnings: string[] = []

    constructor(readonly file?: string) {
        if (file && existsSync(file))
            try {
                const v = JSON.parse(readFileSync(file, "utf8"))
                for (const [t, e] of Object.entries(v) as [string, any][])
                    if (isCounter(e?.n)) this.seen[t] = e as SeenEntry
            } catch (e) {
                this.warnings.push(
                    `cannot read ${file} (the message counters seen before): ${(e as Error).message}; replays are checked against this run only`
                )
            }
    }

    get(topic: string): SeenEntry | undefined {
        return this.seen[topic]
    }

    /** Remembers `e` for `topic`. */
    set(topic: string, e: SeenEntry) {
        if (JSON.stringify(this.seen[topic]) !== JSON.stringify(e))
            this.changed = true
        this.seen[topic] = e
    }

    /** Writes the file when something changed (merged into what another run wrote meanwhile). */
    save() {
        if (!this.file || !this.changed) return
        try {
            const now = new SeenCounters(this.file)
            for (const [t, e] of Object.entries(this.seen)) now.seen[t] = e
            const tmp = this.file + ".tmp"
            writeFileSync(tmp, JSON.stringify(now.seen, null, 1) + "\n", {
                mode: 0o600,
            })
            renameSync(tmp, this.file)
            this.changed = false
        } catch (e) {
            this.warnings.push(
                `cannot write ${this.file} (the message counters seen): ${(e as Error).message}; a later run cannot notice replays of these messages`
            )
        }
    }
}

/** Where status and report keep the counters seen: beside the key file. */
export function seenFileOf(keyFile: string): string {
    return keyFile + ".seen.json"
}

/** A board message refused, for the warnings and --json. */
export interface RefusedMessage {
    board: string
    topic: string
    reason: string
}

/** What `verifyRetained` found. */
export interface RetainedCheck {
    /** The retained messages to use: refused ones left out, the others without "n" and "sig". */
    use: Map<string, Buffer>
    refused: RefusedMessage[]
    /** Boards whose messages verified. */
    verified: Set<string>
    /** Boards whose messages could not be verified (no --key). */
    unverified: Set<string>
    notes: string[]
}

/**
 * Checks the retained state and counters messages of boards (other topics
 * pass as they are). With a site key: a forged or unsigned message is
 * refused, and so is a signed one older ("n") than the one accepted on the
 * same topic before (`seen`), unless the board restarted its count (a
 * fresh flash starts it at a random boot number): a state whose "ts" is
 * later than the state accepted before shows that, and that board's
 * counters of the same boot (as the state accepted on its state topic) are taken then. Without a key nothing is
 * verified (`unverified` names the boards).
 */
export function verifyRetained(
    retained: Map<string, Buffer>,
    verifier: BoardVerifier,
    seen: SeenCounters
): RetainedCheck {
    const out: RetainedCheck = {
        use: new Map(),
        refused: [],
        verified: new Set(),
        unverified: new Set(),
        notes: [],
    }
    const verifying = !!verifier.siteKey
    const topics = [...retained.keys()].sort((a, b) => {
        // states first: a restart they show decides about the counters
        const sa = a.endsWith("/state") ? 0 : 1
        const sb = b.endsWith("/state") ? 0 : 1
        return sa - sb || (a < b ? -1 : a > b ? 1 : 0)
    })
    for (const topic of topics) {
        const payload = retained.get(topic)!
        const t = parseTopic(topic)
        if (
            !t?.board ||
            (t.kind !== "state" && t.kind !== "counters") ||
            payload.length === 0
        ) {
            out.use.set(topic, payload)
            continue
        }
        const board = t.board
        const refuse = (reason: string) =>
            out.refused.push({ board, topic, reason })
        const o = verifier.open(topic, payload.toString("utf8"))
        if (!verifying) {
            out.unverified.add(board)
            out.use.set(topic, payload)
            continue
        }
        const why = refusalOf(o, true)
        if (why) {
            refuse(why)
            continue
        }
        const n = o.n!
        const why2 = judge(seen, topic, t.kind, n, o.value.ts, out.notes, board)
        if (why2) {
            refuse(why2)
            continue
        }
        out.verified.add(board)
        out.use.set(topic, Buffer.from(JSON.stringify(o.value), "utf8"))
    }
    return out
}

function inRanges(b: number, r: [number, number][] | undefined): boolean {
    return !!r && r.some(([lo, hi]) => b >= lo && b <= hi)
}

/**
 * Whether message `n` on `topic` may be used ("" if so, remembering it),
 * else why not. Newer (boot, count) than the one accepted on the topic
 * before: yes, unless its boot is of the board's life before a fresh flash
 * (retired). Older: a replay, unless it is a state with a later "ts" than
 * the one accepted before: the board's count started again (a fresh flash
 * starts the boot number at a random value), and the boots seen before are
 * retired. A topic last written in a retired boot takes any message of the
 * board's new life.
 */
export function judge(
    seen: SeenCounters,
    topic: string,
    kind: string,
    n: Counter,
    tsValue: any,
    notes: string[],
    board: string
): string {
    const st = stateTopicOf(topic)
    const state = seen.get(st)
    const retired = state?.retired
    const had = seen.get(topic)
    const ts = typeof tsValue === "number" ? tsValue : 0
    const old = `replayed: its counter ${counterText(n)} is older than ${counterText(had?.n ?? n)} accepted before on this topic`
    let restart = false
    if (had && had.n[0] !== n[0] && inRanges(n[0], retired))
        return `replayed: its counter ${counterText(n)} is from before board ${board}'s count started again`
    if (had && compareCounters(n, had.n) < 0) {
        if (inRanges(had.n[0], retired)) {
            // the topic moves on past the restart
        } else if (kind === "state" && ts > 0 && ts > (had.ts ?? 0))
            restart = true
        else return old
    }
    const e: SeenEntry = { ...(had ?? {}), n }
    if (kind === "state") {
        if (ts > 0) e.ts = ts
        if (restart) {
            e.retired = [
                ...(had!.retired ?? []),
                [Math.min(had!.first ?? had!.n[0], had!.n[0]), had!.n[0]],
            ]
            e.first = n[0]
            notes.push(
                `board ${board}: its message counter started again at boot ${n[0]} (a fresh flash?); taken, as its state is newer than the one seen before`
            )
        } else e.first = Math.min(had?.first ?? n[0], n[0])
    }
    seen.set(topic, e)
    return ""
}

/** The warnings of a check, naming the boards. */
export function verificationWarnings(c: RetainedCheck): string[] {
    const w = [...c.notes]
    for (const r of c.refused)
        w.push(`board ${r.board}: ${r.topic} refused: ${r.reason}`)
    if (c.unverified.size)
        w.push(
            `messages of board${c.unverified.size === 1 ? "" : "s"} ${[...c.unverified].sort().join(", ")} not verified: give --key KEYFILE (the site key) to check their signatures`
        )
    return w
}

/** The --old-key option's help (status, report, collect). */
export const OLD_KEY_HELP = `  --old-key OLDKEYFILE
                     during a key rotation ('dialguard key rotate'): messages
                     signed with the site key being replaced are taken too
                     (boards not rotated yet, messages sent before)`

/**
 * --key KEYFILE of status, report and collect: the verifier of the boards'
 * messages, and where the counters seen are kept (status, report: beside
 * the key file). Without --key nothing is verified.
 */
export function verifierFromKeyFile(
    keyFile: string | undefined,
    oldKeyFile?: string
): {
    verifier: BoardVerifier
    seenFile?: string
} {
    if (keyFile === undefined) {
        if (oldKeyFile !== undefined)
            throw new UsageError("--old-key goes with --key (the new site key)")
        return { verifier: new BoardVerifier(undefined) }
    }
    // (--old-key: during a key rotation, what boards not yet rotated sign;
    // the counters seen so far go on from the old key's file)
    const verifier = new BoardVerifier(
        readKeyFileWarned(keyFile),
        oldKeyFile === undefined ? undefined : readKeyFileWarned(oldKeyFile)
    )
    const seenFile = seenFileOf(keyFile)
    if (
        oldKeyFile !== undefined &&
        !existsSync(seenFile) &&
        existsSync(seenFileOf(oldKeyFile))
    )
        copyFileSync(seenFileOf(oldKeyFile), seenFile)
    return { verifier, seenFile }
}
