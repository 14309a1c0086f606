// The record of a simulation: every event on the simulated phones, the
// exchange, the admin log and the VM console, with the time it happened
// (ms since the session started). Expectations are checked against it, and
// waiters are woken by each new entry. Here beside the admin client (which
// records the board's log events in it and waits with it) so that
// `dialguard flash` and the simulator share it without src/ importing sim/.

import { EventEmitter } from "node:events"

export interface SimEvent {
    /** ms since the session started. */
    t: number
    kind: string
    /** Port index and extension, for events of one port. */
    port?: number
    ext?: string
    [field: string]: unknown
}

export class Recorder extends EventEmitter {
    readonly events: SimEvent[] = []
    readonly t0 = Date.now()

    now(): number {
        return Date.now() - this.t0
    }

    add(kind: string, fields: Omit<SimEvent, "t" | "kind"> = {}): SimEvent {
        const e: SimEvent = { t: this.now(), kind, ...fields }
        this.events.push(e)
        this.emit("event", e)
        return e
    }

    /**
     * Resolves to the first non-undefined value of `check()`, evaluated now,
     * after each new event and every `pollMs` (for conditions not in the
     * record, such as a counter read over the bus); undefined after
     * `timeoutMs`.
     */
    until<T>(
        check: () => T | undefined | Promise<T | undefined>,
        timeoutMs: number,
        pollMs = 0
    ): Promise<T | undefined> {
        return new Promise((resolve, reject) => {
            let done = false
            let busy = false
            let again = false
            const finish = (v: T | undefined) => {
                if (done) return
                done = true
                this.off("event", onEvent)
                clearTimeout(timer)
                if (poll) clearInterval(poll)
                resolve(v)
            }
            const run = async () => {
                if (done) return
                if (busy) {
                    again = true
                    return
                }
                busy = true
                try {
                    do {
                        again = false
                        const v = await check()
                        if (v !== undefined) return finish(v)
                    } while (again && !done)
                } catch (e) {
                    done = true
                    reject(e)
                } finally {
                    busy = false
                }
            }
            const onEvent = () => void run()
            const timer = setTimeout(() => finish(undefined), timeoutMs)
            const poll = pollMs > 0 ? setInterval(run, pollMs) : undefined
            this.on("event", onEvent)
            void run()
        })
    }

    /** Events of `kind` (and of port `ext`, if given) since time `since`. */
    select(kind: string, ext?: string, since = 0): SimEvent[] {
        return this.events.filter(
            e =>
                e.kind === kind &&
                e.t >= since &&
                (ext === undefined || e.ext === ext)
        )
    }
}

/**
 * One readable line for an event: "  12.345 s 8001  dial number=...", or
 * "  12.345 s floor3 log line=..." for a site board's own event.
 */
export function formatEvent(e: SimEvent): string {
    const { t, kind, port, ext, ...rest } = e
    const time = (t / 1000).toFixed(3).padStart(8) + " s"
    // a site board's own events (its log, its VM) are named after it
    const board = ext === undefined && port === undefined ? e.board : undefined
    if (board !== undefined) delete rest.board
    const who =
        ext ?? (port !== undefined ? `port${port}` : String(board ?? ""))
    const fields = Object.entries(rest)
        .map(
            ([k, v]) => `${k}=${typeof v === "string" ? JSON.stringify(v) : v}`
        )
        .join(" ")
    return [time, who.padEnd(5), kind, fields].filter(s => s !== "").join(" ")
}
