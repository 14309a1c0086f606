// `collect`: the call records (a CDR for every call, issue 11; the
// long-distance register of rule (一)4 is a view of them). Call records
// are not retained, so a daemon subscribes to them and stores each one,
// once, in DIR/calls.sqlite (src/fleet/callStore.ts).
//
// Nothing is lost while the collector is down or restarting: it connects
// with a persistent session (fixed client id, clean session off), so the
// broker queues the QoS 1 records for it, and it acknowledges a record only
// once it is committed to disk. Boards resend records they are not sure
// about; the record id makes every resend a no-op.

import {
    appendFileSync,
    existsSync,
    mkdirSync,
    readFileSync,
    statSync,
    unlinkSync,
    writeFileSync,
} from "node:fs"
import { join } from "node:path"
import { CliError } from "../command"
import {
    BoardVerifier,
    compareCounters,
    Counter,
    counterText,
    refusalOf,
} from "./boardSig"
import { AddResult, BoardCounter, CallStore, DB_NAME } from "./callStore"
import { CallRecord, checkCallRecord, parsePayload, parseTopic } from "./topics"

export type { AddResult }

/** The store of register folder `dir`, created if missing, older JSONL files imported once. */
export function openRegister(dir: string): {
    store: CallStore
    imported: number
} {
    if (!existsSync(dir)) mkdirSync(dir, { recursive: true })
    const store = new CallStore(join(dir, DB_NAME))
    try {
        return { store, imported: store.importJsonl(dir) }
    } catch (e) {
        store.close()
        throw e
    }
}

/** What a message on a calls topic did. */
export interface Handled {
    /** refused: its signature failed (forged, unsigned) or it is a replay. */
    result: AddResult | "invalid" | "refused"
    record?: CallRecord
    error?: string
    /** The board of the topic. */
    board?: string
    /** A refused record's id, as it says (not to be trusted). */
    id?: string
}

function claimedId(payload: Buffer): string | undefined {
    try {
        const id = JSON.parse(payload.toString("utf8"))?.id
        return typeof id === "string" ? id.slice(0, 128) : undefined
    } catch {
        return undefined
    }
}

/**
 * The collector's checks of the boards' signed records. What it keeps of
 * each board (the counter "n" of the newest record taken) is in the
 * database (CallStore.counterOf, table board_counters), so a replay is
 * refused after a restart of the collector as well.
 */
export class RecordChecks {
    private has?: (id: string) => boolean
    /** Notes for the log (a board whose count started again), taken by the caller. */
    readonly notes: string[] = []
    constructor(readonly verifier = new BoardVerifier(undefined)) {}

    /** Whether record `id` is stored already. */
    stored(reg: CallStore, id: string): boolean {
        if (!this.has) {
            const q = reg.db.prepare(`SELECT 1 FROM calls WHERE id = ?`)
            this.has = id => q.get(id) !== undefined
        }
        return this.has(id)
    }
}

/** The latest time a record names (Unix seconds, 0 unknown). */
function recordTime(r: CallRecord): number {
    return Math.max(
        r.start + (r.start > 0 ? Math.floor(r.seconds) : 0),
        r.answered ?? 0,
        r.end ?? 0
    )
}

function inRanges(b: number, r: [number, number][]): boolean {
    return r.some(([lo, hi]) => b >= lo && b <= hi)
}

/**
 * Whether a record with counter `n` not stored yet may be taken from
 * `board`: the board's counter to keep then, or why not (a replay). Its
 * `n` must be above that of the newest record taken from the board, also
 * in an earlier run (`had`). Unless the board's count started again (a
 * fresh flash starts it at a random boot number): a record of another,
 * lower boot that is later (its times) than every record taken before.
 * The boots of its life before are retired then: their records are
 * replays from then on.
 */
function judgeRecord(
    board: string,
    n: Counter,
    r: CallRecord,
    had: BoardCounter | undefined,
    notes: string[]
): BoardCounter | string {
    const t = recordTime(r)
    if (!had) return { n, latest: t, first: n[0], retired: [] }
    if (n[0] !== had.n[0] && inRanges(n[0], had.retired))
        return `replayed: its counter ${counterText(n)} is from before board ${board}'s count started again`
    if (compareCounters(n, had.n) > 0)
        return {
            n,
            latest: Math.max(had.latest, t),
            first: Math.min(had.first, n[0]),
            retired: had.retired,
        }
    if (n[0] < had.n[0] && had.latest > 0 && t > had.latest) {
        notes.push(
            `board ${board}: its message counter started again at boot ${n[0]} (a fresh flash?); ` +
                `record ${r.id} taken, as it is later than every record taken from it before`
        )
        return {
            n,
            latest: t,
            first: n[0],
            retired: [
                ...had.retired,
                [Math.min(had.first, had.n[0]), had.n[0]],
            ],
        }
    }
    return `replayed: its counter ${counterText(n)} is not above ${counterText(had.n)} of the last record taken from board ${board}`
}

/**
 * Checks and stores one message from dialguard/<site>/<board>/calls. With
 * a site key (`checks.verifier`) the record must carry its board's
 * signature: a forged or unsigned one is refused, and so is a record not
 * stored yet whose counter is not above the last one taken from its board
 * (a replay; judgeRecord), kept in the database with the record. A record
 * stored already is a duplicate whatever its counter: a board resends a
 * record (signed again, with a new counter) until its PUBACK comes.
 * Records are stored without "n" and "sig".
 */
export function handleCallMessage(
    reg: CallStore,
    topic: string,
    payload: Buffer,
    checks = new RecordChecks()
): Handled {
    const t = parseTopic(topic)
    const board = t?.board
    const o = checks.verifier.open(topic, payload.toString("utf8"))
    const verifying = !!checks.verifier.siteKey
    const why = refusalOf(o, verifying)
    if (why && o.status === "forged")
        return { result: "refused", error: why, board, id: claimedId(payload) }
    const p =
        o.value !== undefined
            ? { value: o.value }
            : payload.length === 0
              ? parsePayload("")
              : { error: o.error ?? "not JSON" }
    const c =
        p.value !== undefined ? checkCallRecord(p.value) : { error: p.error }
    if (!c.value) return { result: "invalid", error: c.error, board }
    if (board && c.value.board !== board)
        return {
            result: "invalid",
            error: `"board" is ${JSON.stringify(c.value.board)} but the topic is board ${board}`,
            board,
        }
    if (why)
        return {
            result: "refused",
            error: why,
            board,
            record: c.value,
            id: c.value.id,
        }
    const n = o.n
    const record = c.value
    if (!verifying || !board || !n || checks.stored(reg, record.id))
        return { result: reg.add(record), record, board }
    const notes: string[] = []
    const next = judgeRecord(board, n, record, reg.counterOf(board), notes)
    if (typeof next === "string")
        return { result: "refused", error: next, board, record, id: record.id }
    // the record and the board's counter on disk together
    const result = reg.db.transaction(() => {
        const res = reg.add(record)
        if (res === "new") reg.setCounter(board, next)
        return res
    })()
    if (result === "new") checks.notes.push(...notes)
    return { result, record, board }
}

/** Keeps a refused message for the admin: DIR/refused.jsonl, one JSON line each. */
export function keepRefused(
    dir: string,
    topic: string,
    h: Handled,
    payload: Buffer
) {
    appendFileSync(
        join(dir, "refused.jsonl"),
        JSON.stringify({
            received: Math.floor(Date.now() / 1000),
            board: h.board,
            topic,
            reason: h.error,
            message: payload.toString("utf8"),
        }) + "\n"
    )
}

/**
 * A lock file in DIR so that two collectors never write the same register
 * (one left by a process that is gone is taken over).
 */
export function lockDir(dir: string): () => void {
    if (!existsSync(dir)) mkdirSync(dir, { recursive: true })
    else if (!statSync(dir).isDirectory())
        throw new CliError(`${dir} is not a folder`)
    const file = join(dir, ".collect.lock")
    for (let attempt = 0; attempt < 2; attempt++) {
        try {
            writeFileSync(file, `${process.pid}\n`, { flag: "wx" })
            return () => {
                try {
                    unlinkSync(file)
                } catch {
                    // already gone
                }
            }
        } catch (e) {
            if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e
            const pid = Number(readFileSync(file, "utf8").trim())
            if (pid > 0 && pid !== process.pid && isAlive(pid))
                throw new CliError(
                    `another dialguard collect (pid ${pid}) is writing ${dir} (lock file ${file})`
                )
            unlinkSync(file)
        }
    }
    throw new CliError(`cannot lock ${dir}`)
}

function isAlive(pid: number): boolean {
    try {
        process.kill(pid, 0)
        return true
    } catch (e) {
        return (e as NodeJS.ErrnoException).code === "EPERM"
    }
}
