// The call records (CDRs) in SQLite: DIR/calls.sqlite, written by
// `dialguard collect`, read by `dialguard report`, open to finance's own
// queries. One file, WAL journal (report may read while collect writes),
// the record id the primary key: a resend is a no-op, the same id with
// other content is kept aside in `conflicts` and reported. The schema is
// documented in src/fleet/CALLS-DB.md; keep the two in step.
//
// Records are compared as canonical JSON (checkCallRecord's field order),
// so a record resent by the board matches byte for byte.

import Database from "better-sqlite3"
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import {
    CallRecord,
    checkCallRecord,
    monthOf,
    outcomeOf,
    parsePayload,
} from "./topics"

export const DB_NAME = "calls.sqlite"
/** PRAGMA user_version of the schema below. */
export const SCHEMA_VERSION = 2

const SCHEMA = `
CREATE TABLE IF NOT EXISTS calls (
    id        TEXT PRIMARY KEY,
    board     TEXT NOT NULL,
    handset   TEXT NOT NULL,
    direction TEXT NOT NULL CHECK (direction IN ('out', 'in')),
    number    TEXT NOT NULL,
    dialled   TEXT NOT NULL,
    category  TEXT NOT NULL,
    month     TEXT NOT NULL,
    start     INTEGER NOT NULL,
    answered  INTEGER NOT NULL,
    ended     INTEGER NOT NULL,
    seconds   INTEGER NOT NULL,
    outcome   TEXT NOT NULL,
    code      TEXT NOT NULL,
    for_ext   TEXT NOT NULL,
    rings     INTEGER NOT NULL,
    hops      INTEGER NOT NULL,
    record    TEXT NOT NULL,
    received  INTEGER NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS calls_month ON calls (month, handset);
CREATE TABLE IF NOT EXISTS conflicts (
    id       TEXT NOT NULL,
    record   TEXT NOT NULL,
    received INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS imported (
    file     TEXT PRIMARY KEY,
    records  INTEGER NOT NULL,
    imported INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS board_counters (
    board   TEXT PRIMARY KEY,
    boot    INTEGER NOT NULL,
    count   INTEGER NOT NULL,
    latest  INTEGER NOT NULL,
    first   INTEGER NOT NULL,
    retired TEXT NOT NULL,
    updated INTEGER NOT NULL
) STRICT;
`
// (version 1 had no board_counters: CREATE TABLE IF NOT EXISTS adds it)

export type AddResult = "new" | "duplicate" | "conflict"

/**
 * What the collector keeps of a board's signed records (table
 * board_counters): the counter "n" of the newest record taken, so that a
 * replay is refused also after a restart of the collector.
 */
export interface BoardCounter {
    /** The highest [boot, count] of a record taken from the board. */
    n: [number, number]
    /** Unix seconds: the latest time in the records taken (0 none known). */
    latest: number
    /** The lowest boot taken since the board's count last started again. */
    first: number
    /** Boots [lo, hi] of the board's life before its count started again. */
    retired: [number, number][]
}

const JSONL_RE = /^calls-(\d{4}-\d{2}|unknown)\.jsonl$/

export class CallStore {
    readonly db: Database.Database
    readonly warnings: string[] = []
    private insert: Database.Statement
    private byId: Database.Statement
    private conflict: Database.Statement

    /** Opens (creating when `create`) the store; `file` ":memory:" for none on disk. */
    constructor(
        readonly file: string,
        opts: { readonly?: boolean } = {}
    ) {
        this.db = new Database(file, {
            readonly: opts.readonly ?? false,
            fileMustExist: opts.readonly ?? false,
        })
        if (!opts.readonly) {
            this.db.pragma("journal_mode = WAL")
            // every record on disk before it is acknowledged
            this.db.pragma("synchronous = FULL")
            const v = this.db.pragma("user_version", { simple: true }) as number
            if (v > SCHEMA_VERSION)
                throw new Error(
                    `${file} has schema version ${v}; this dialguard knows up to ${SCHEMA_VERSION}`
                )
            this.db.exec(SCHEMA)
            this.db.pragma(`user_version = ${SCHEMA_VERSION}`)
        }
        this.insert = this.db.prepare(
            `INSERT INTO calls VALUES (@id, @board, @handset, @direction, @number,
             @dialled, @category, @month, @start, @answered, @ended, @seconds,
             @outcome, @code, @for_ext, @rings, @hops, @record, @received)
             ON CONFLICT (id) DO NOTHING`
        )
        this.byId = this.db.prepare(`SELECT record FROM calls WHERE id = ?`)
        this.conflict = this.db.prepare(
            `INSERT INTO conflicts VALUES (?, ?, ?)`
        )
    }

    private counterQ?: Database.Statement
    private counterW?: Database.Statement

    /** The board's counter (board_counters), undefined when none is kept. */
    counterOf(board: string): BoardCounter | undefined {
        this.counterQ ??= this.db.prepare(
            `SELECT boot, count, latest, first, retired FROM board_counters WHERE board = ?`
        )
        const r = this.counterQ.get(board) as
            | {
                  boot: number
                  count: number
                  latest: number
                  first: number
                  retired: string
              }
            | undefined
        if (!r) return undefined
        let retired: [number, number][] = []
        try {
            const v = JSON.parse(r.retired)
            if (Array.isArray(v)) retired = v
        } catch {
            // (only the collector writes it)
        }
        return {
            n: [r.boot, r.count],
            latest: r.latest,
            first: r.first,
            retired,
        }
    }

    /** Keeps the board's counter. */
    setCounter(board: string, c: BoardCounter) {
        this.counterW ??= this.db.prepare(
            `INSERT INTO board_counters VALUES (?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (board) DO UPDATE SET boot = excluded.boot,
             count = excluded.count, latest = excluded.latest,
             first = excluded.first, retired = excluded.retired,
             updated = excluded.updated`
        )
        this.counterW.run(
            board,
            c.n[0],
            c.n[1],
            c.latest,
            c.first,
            JSON.stringify(c.retired),
            Math.floor(Date.now() / 1000)
        )
    }

    get size(): number {
        return (
            this.db.prepare(`SELECT count(*) AS n FROM calls`).get() as {
                n: number
            }
        ).n
    }

    /** Stores `r` unless its id is there; on disk (WAL, synchronous) before returning. */
    add(r: CallRecord, received = Math.floor(Date.now() / 1000)): AddResult {
        const record = JSON.stringify(r)
        const info = this.insert.run(row(r, record, received))
        if (info.changes === 1) return "new"
        const had = this.byId.get(r.id) as { record: string }
        if (had.record === record) return "duplicate"
        this.conflict.run(r.id, record, received)
        return "conflict"
    }

    /**
     * Imports the register files of older versions (DIR/calls-*.jsonl),
     * each once: the `imported` table names those done. Returns the
     * records added.
     */
    importJsonl(dir: string): number {
        if (!existsSync(dir)) return 0
        const done = this.db.prepare(`SELECT 1 FROM imported WHERE file = ?`)
        const mark = this.db.prepare(`INSERT INTO imported VALUES (?, ?, ?)`)
        let added = 0
        for (const name of readdirSync(dir).sort()) {
            if (!JSONL_RE.test(name) || done.get(name)) continue
            const file = join(dir, name)
            const now = Math.floor(Date.now() / 1000)
            const tx = this.db.transaction(() => {
                let n = 0
                readFileSync(file, "utf8")
                    .split("\n")
                    .forEach((line, i) => {
                        if (!line.trim()) return
                        const p = parsePayload(line)
                        const c =
                            p.value !== undefined
                                ? checkCallRecord(p.value)
                                : { error: p.error }
                        if (!c.value) {
                            this.warnings.push(
                                `${file}:${i + 1}: not imported: ${c.error}`
                            )
                            return
                        }
                        const res = this.add(c.value, now)
                        if (res === "new") n++
                        else if (res === "conflict")
                            this.warnings.push(
                                `${file}:${i + 1}: record id ${c.value.id} was stored before with other content (kept in conflicts)`
                            )
                    })
                mark.run(name, n, now)
                return n
            })
            added += tx()
        }
        return added
    }

    /** The month's records (Beijing month of start), in time order. */
    month(month: string): CallRecord[] {
        const rows = this.db
            .prepare(
                `SELECT record FROM calls WHERE month = ? ORDER BY start, id`
            )
            .all(month) as { record: string }[]
        return rows.map(r => JSON.parse(r.record) as CallRecord)
    }

    conflicts(): { id: string; record: string }[] {
        return this.db.prepare(`SELECT id, record FROM conflicts`).all() as {
            id: string
            record: string
        }[]
    }

    close() {
        this.db.close()
    }
}

function row(r: CallRecord, record: string, received: number) {
    const out = r.dir !== "in"
    return {
        id: r.id,
        board: r.board,
        handset: r.handset,
        direction: out ? "out" : "in",
        number: r.number,
        dialled: out && outcomeOf(r) !== "refused" ? (r.dial ?? r.number) : "",
        category: r.category,
        month: monthOf(r.start),
        start: r.start,
        answered: r.answered ?? 0,
        ended: r.end ?? 0,
        seconds: Math.floor(r.seconds),
        outcome: outcomeOf(r),
        code: r.code ?? "",
        for_ext: r.for ?? "",
        rings: r.rings ?? 0,
        hops: r.hops ?? 0,
        record,
        received,
    }
}

/**
 * The store of register folder `dir` for reading: its calls.sqlite, or
 * when there is none yet (records collected by an older version), the
 * folder's JSONL files imported into memory (the folder is not written).
 */
export function openForReading(dir: string): CallStore {
    const file = join(dir, DB_NAME)
    if (existsSync(file)) {
        const s = new CallStore(file, { readonly: true })
        return s
    }
    const s = new CallStore(":memory:")
    s.importJsonl(dir)
    return s
}
