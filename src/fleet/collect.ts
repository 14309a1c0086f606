// `collect`: the long-distance register (rule (一)4). Call records are not
// retained, so a daemon subscribes to them and appends each one, once, to
// DIR/calls-YYYY-MM.jsonl (the month of the call's start in Beijing time;
// calls-unknown.jsonl when the board did not know the time).
//
// Nothing is lost while the collector is down or restarting: it connects
// with a persistent session (fixed client id, clean session off), so the
// broker queues the QoS 1 records for it, and it acknowledges a record only
// once it is written and flushed to disk. Boards resend records they are
// not sure about; the record id makes every resend a no-op.

import {
    closeSync,
    existsSync,
    fsyncSync,
    mkdirSync,
    openSync,
    readdirSync,
    readFileSync,
    statSync,
    unlinkSync,
    writeFileSync,
    writeSync,
} from "node:fs"
import { join } from "node:path"
import { CliError } from "../command"
import {
    CallRecord,
    checkCallRecord,
    monthOf,
    parsePayload,
    parseTopic,
} from "./topics"

const FILE_RE = /^calls-(\d{4}-\d{2}|unknown)\.jsonl$/

export function registerFile(dir: string, month: string): string {
    return join(dir, `calls-${month}.jsonl`)
}

export type AddResult = "new" | "duplicate" | "conflict"

/** The register on disk: every stored record id, and appending new ones. */
export class CallRegister {
    /** id → the record's JSON line. */
    private ids = new Map<string, string>()
    private fds = new Map<string, number>()
    readonly warnings: string[] = []

    constructor(readonly dir: string) {
        if (!existsSync(dir)) mkdirSync(dir, { recursive: true })
        for (const name of readdirSync(dir).sort()) {
            if (!FILE_RE.test(name)) continue
            const file = join(dir, name)
            let text = readFileSync(file, "utf8")
            // a line cut short by a crash: end it, so that appends start clean
            if (text.length && !text.endsWith("\n")) {
                writeFileSync(file, "\n", { flag: "a" })
                text += "\n"
            }
            text.split("\n").forEach((line, i) => {
                if (!line.trim()) return
                const p = parsePayload(line)
                const c =
                    p.value !== undefined
                        ? checkCallRecord(p.value)
                        : { error: p.error }
                if (c.value) this.ids.set(c.value.id, JSON.stringify(c.value))
                else
                    this.warnings.push(
                        `${file}:${i + 1}: unreadable line kept as is: ${c.error}`
                    )
            })
        }
    }

    get size(): number {
        return this.ids.size
    }

    /** Appends `r` unless its id is stored; flushed to disk before returning. */
    add(r: CallRecord): AddResult {
        const line = JSON.stringify(r)
        const had = this.ids.get(r.id)
        if (had !== undefined) return had === line ? "duplicate" : "conflict"
        const month = monthOf(r.start)
        let fd = this.fds.get(month)
        if (fd === undefined) {
            fd = openSync(registerFile(this.dir, month), "a")
            this.fds.set(month, fd)
        }
        writeSync(fd, line + "\n")
        fsyncSync(fd)
        this.ids.set(r.id, line)
        return "new"
    }

    close() {
        for (const fd of this.fds.values()) closeSync(fd)
        this.fds.clear()
    }
}

/** What a message on a calls topic did. */
export interface Handled {
    result: AddResult | "invalid"
    record?: CallRecord
    error?: string
}

/** Checks and stores one message from dialguard/<site>/<board>/calls. */
export function handleCallMessage(
    reg: CallRegister,
    topic: string,
    payload: Buffer
): Handled {
    const t = parseTopic(topic)
    const p = parsePayload(payload.toString("utf8"))
    const c =
        p.value !== undefined ? checkCallRecord(p.value) : { error: p.error }
    if (!c.value) return { result: "invalid", error: c.error }
    if (t?.board && c.value.board !== t.board)
        return {
            result: "invalid",
            error: `"board" is ${JSON.stringify(c.value.board)} but the topic is board ${t.board}`,
        }
    return { result: reg.add(c.value), record: c.value }
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
