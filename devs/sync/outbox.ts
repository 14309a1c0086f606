// What the board owes the broker, sent one message at a time: its state,
// the counters of the months that changed, and the queued call records.
// Every publish is QoS 1 and counts only once the broker acknowledged it
// (devs/sync/mqttClient.ts), so:
// - state and counters are retained and cumulative: after a reconnect they
//   are simply published again (every month held);
// - a call record leaves flash once its PUBACK came back. One whose PUBACK
//   was lost with the connection is sent again after the reconnect, with
//   the same id (the collector keeps each id once).
// Portable: no @devicescript/* import (the caller passes the clock).

import { RecordQueue } from "./recordQueue"

/** Counters of one month go out at most once per this. */
export const COUNTERS_MIN_MS = 2000
/** The state goes out at least this often (its ts says the board is alive). */
export const STATE_EVERY_MS = 10 * 60000
/** After a failed publish, try again after this. */
export const RETRY_MS = 1000

export interface Publisher {
    /** QoS 1; true once the broker acknowledged it. */
    publish(
        topic: string,
        payload: string | string[],
        retain: boolean
    ): Promise<boolean>
}

/** Topics and payloads, from the sync. */
export interface OutboxSource {
    stateTopic: string
    callsTopic: string
    countersTopic(month: string): string
    state(): string
    /** In parts (none of the message's size: see countersMessage). */
    counters(month: string): string[]
    /** Every month held (republished after each connect). */
    months(): string[]
    /** The message of the record in `slot`; "" when it cannot be read (it is dropped). */
    record(slot: number): Promise<string> | string
}

export class Outbox {
    private src: OutboxSource
    private queue: RecordQueue
    private now: () => number
    private stateDue = true
    private stateAt = 0
    private dirty: string[] = []
    private countersAt: Record<string, number> = {}

    constructor(src: OutboxSource, queue: RecordQueue, now: () => number) {
        this.src = src
        this.queue = queue
        this.now = now
    }

    /** A new connection: state and every month again. */
    connected() {
        this.stateDue = true
        this.dirty = this.src.months()
        this.countersAt = {}
    }

    stateChanged() {
        this.stateDue = true
    }

    countersChanged(months: string[]) {
        for (const m of months)
            if (this.dirty.indexOf(m) < 0) this.dirty.push(m)
    }

    /** Milliseconds until something becomes due; -1 when nothing waits. */
    private waitMs(now: number): number {
        let due = -1
        const at = (t: number) => {
            const ms = t > now ? t - now : 0
            if (due < 0 || ms < due) due = ms
        }
        for (const m of this.dirty)
            at((this.countersAt[m] || 0) + COUNTERS_MIN_MS)
        at(this.stateAt + STATE_EVERY_MS)
        return due
    }

    /**
     * Publishes everything due, one message at a time. Resolves to the
     * milliseconds until more is due (-1: nothing until a change); after a
     * failed publish, RETRY_MS.
     */
    async flush(pub: Publisher): Promise<number> {
        // (out of the loop: the filter's closure may not capture a loop variable)
        let month: string | undefined
        for (;;) {
            const now = this.now()
            let topic = ""
            let payload: string | string[] = ""
            let retain = true
            let rec = -1
            month = undefined
            const state = this.stateDue || now >= this.stateAt + STATE_EVERY_MS
            if (!state) rec = this.queue.first()
            // the first month whose counters may go out now (inlined: each
            // function costs the image bytecode)
            if (!state && rec < 0)
                for (const m of this.dirty) {
                    const at = this.countersAt[m]
                    if (at === undefined || now >= at + COUNTERS_MIN_MS) {
                        month = m
                        break
                    }
                }
            if (rec >= 0) {
                topic = this.src.callsTopic
                payload = await this.src.record(rec)
                retain = false
                if (payload === "") {
                    await this.queue.remove(rec)
                    continue
                }
            } else if (month !== undefined) {
                topic = this.src.countersTopic(month)
                payload = this.src.counters(month)
                this.dirty = this.dirty.filter(x => x !== month)
            } else if (!state) return this.waitMs(now)
            if (state) {
                topic = this.src.stateTopic
                payload = this.src.state()
                this.stateDue = false
            }

            let ok = false
            try {
                ok = await pub.publish(topic, payload, retain)
            } catch (e) {
                ok = false
            }
            if (!ok) {
                if (state) this.stateDue = true
                if (month !== undefined) this.countersChanged([month])
                return RETRY_MS
            }
            const done = this.now()
            if (state) this.stateAt = done
            if (month !== undefined) this.countersAt[month] = done
            if (rec >= 0) await this.queue.remove(rec)
        }
    }
}
