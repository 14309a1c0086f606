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
import { AddResult, CallStore, DB_NAME } from "./callStore"
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
 * The collector's memory of the boards' signed records: the counter ("n")
 * of the last record taken from each board (this run).
 */
export class RecordChecks {
    readonly last = new Map<string, Counter>()
    private has?: (id: string) => boolean
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

/**
 * Checks and stores one message from dialguard/<site>/<board>/calls. With
 * a site key (`checks.verifier`) the record must carry its board's
 * signature: a forged or unsigned one is refused, and so is a record not
 * stored yet whose counter is not above the last one taken from its board
 * (a replay). A record stored already is a duplicate whatever its counter:
 * a board resends a record (signed again, with a new counter) until its
 * PUBACK comes. Records are stored without "n" and "sig".
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
    if (verifying && board && n && !checks.stored(reg, c.value.id)) {
        const last = checks.last.get(board)
        if (last && compareCounters(n, last) <= 0)
            return {
                result: "refused",
                error: `replayed: its counter ${counterText(n)} is not above ${counterText(last)} of the last record taken from board ${board}`,
                board,
                record: c.value,
                id: c.value.id,
            }
    }
    const result = reg.add(c.value)
    if (verifying && board && n && result === "new") {
        const last = checks.last.get(board)
        if (!last || compareCounters(n, last) > 0) checks.last.set(board, n)
    }
    return { result, record: c.value, board }
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
