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
    existsSync,
    mkdirSync,
    readFileSync,
    statSync,
    unlinkSync,
    writeFileSync,
} from "node:fs"
import { join } from "node:path"
import { CliError } from "../command"
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
    result: AddResult | "invalid"
    record?: CallRecord
    error?: string
}

/** Checks and stores one message from dialguard/<site>/<board>/calls. */
export function handleCallMessage(
    reg: CallStore,
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
