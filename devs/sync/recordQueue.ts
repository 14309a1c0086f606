// The call records (a CDR for every call, issue 11) not yet surely at the
// broker, kept in flash until then. One settings key per record, a ring
// "rec0".."rec63": a record costs one small write when the call ends and
// one delete once it is out, and flash holds each record once (a
// ChunkedStore would rewrite the whole queue twice per change). A key is
// written whole or not at all, so a restart at any point leaves every
// record either stored or not. The ESP32 keeps its settings in ~16 KB
// (of its 256 KB nvs partition; the simulator's flash is that size): 64
// records (~8 KB) leave ~6.5 KB for the policy and counters (measured,
// test/bench/recordBurst.ts). When all slots hold records (the broker
// has been away for 64 calls), or the flash is full, the oldest is
// dropped and counted in "recdrop" (the state's droppedRecords); the
// counters still count every call, and `dialguard report` shows the
// difference.
// Portable: no @devicescript/* import.

import { KeyValueStore } from "../store/chunkedStore"

export const MAX_RECORDS = 64
const DROPPED_KEY = "recdrop"

/**
 * The boot number of this start, after `saved` (0: none in flash). Record
 * ids are "<board>-<boot>-<seq>", so a boot number must never come back,
 * also after a fresh flash (a new board image, a new simulator) wipes the
 * count: a fresh count starts at a random number of 48 bits from `random`
 * (6 random bytes), not at 1. Two fresh starts of one board then share ids
 * only if their runs of boot numbers overlap: about (boots of both) / 2^48.
 * (Whole numbers up to 2^53 are exact in the VM and in JSON.)
 */
export function nextBoot(saved: number, random: Buffer): number {
    if (saved > 0 && saved < 9007199254740991) return saved + 1
    let n = 0
    for (let i = 0; i < 6; ++i) n = n * 256 + random[i]
    return n + 1
}

/** A call record without the board id (its id is "<board>-<boot>-<seq>"). */
export interface CallRecord {
    boot: number
    seq: number
    handset: string
    /** As dialled, without IP or outside-line prefix. */
    number: string
    category: string
    /** Unix seconds when placed, 0 = time unknown. */
    start: number
    /** Talk time, 0 = not answered. */
    seconds: number
    // The rest came with issue 11; absent in records of older firmware
    // (long-distance calls only) that a restart reads back from flash.
    /** false: incoming (number = the caller). */
    out?: boolean
    /** Digits sent to the line ("" refused). */
    dial?: string
    /** Unix seconds, 0 = never / unknown. */
    answered?: number
    end?: number
    outcome?: string
    code?: string
    forExt?: string
    rings?: number
    hops?: number
    /** Issue 12: the owner of the authorization code that lifted it ("" none). */
    owner?: string
    /** Issue 12: dialled after the private-call prefix. */
    private?: boolean
}

/** The wire key of each place of the flash array ("": sent otherwise). */
const WIRE_KEYS = [
    "",
    "",
    "handset",
    "number",
    "category",
    "start",
    "seconds",
    "",
    "dial",
    "",
    "",
    "outcome",
    "code",
    "for",
    "rings",
    "hops",
    "owner",
]

function slotKey(slot: number): string {
    return "rec" + slot
}

/**
 * Flash form, an array without keys: [boot, seq, handset, number,
 * category, start, seconds] then (issue 11) [out 1/0, dial ("" = the
 * number itself), answered, end, outcome, code, forExt, rings, hops], the
 * two times as seconds after `start` (-1 = never / unknown; absolute when
 * `start` is 0). About 115 bytes for an IP long-distance call; a setting
 * holds 216.
 */
export function encodeRecord(r: CallRecord): string {
    const a: any[] = [
        r.boot,
        r.seq,
        r.handset,
        r.number,
        r.category,
        r.start,
        r.seconds,
    ]
    if (r.outcome) {
        // (one push per value: the VM compiler takes few arguments per call)
        a.push(r.out === false ? 0 : 1)
        a.push(r.dial === r.number ? "" : r.dial || "")
        a.push(offset(r.answered || 0, r.start))
        a.push(offset(r.end || 0, r.start))
        a.push(r.outcome)
        a.push(r.code || "")
        a.push(r.forExt || "")
        a.push(r.rings || 0)
        a.push(r.hops || 0)
        // issue 12: [..., code owner, private 0/1] when either is set
        if (r.owner || r.private) {
            a.push(r.owner || "")
            a.push(r.private ? 1 : 0)
        }
    }
    return JSON.stringify(a)
}

function offset(t: number, start: number): number {
    if (!t) return -1
    return start ? t - start : t
}

function unoffset(o: number, start: number): number {
    if (o < 0) return 0
    return start ? start + o : o
}

/** A record's flash text back as the record (tests, benches: the firmware sends the text as it is). */
export function decodeRecord(v: string): CallRecord | undefined {
    let a: any[] | undefined = undefined
    try {
        a = JSON.parse(v)
    } catch (e) {}
    if (
        !Array.isArray(a) ||
        (a.length !== 7 && a.length !== 16 && a.length !== 18)
    )
        return undefined
    const r: CallRecord = {
        boot: a[0],
        seq: a[1],
        handset: a[2],
        number: a[3],
        category: a[4],
        start: a[5],
        seconds: a[6],
    }
    if (a.length >= 16) {
        r.out = a[7] !== 0
        r.dial = a[8] || (r.out ? r.number : "")
        r.answered = unoffset(a[9], r.start)
        r.end = unoffset(a[10], r.start)
        r.outcome = a[11]
        r.code = a[12]
        r.forExt = a[13]
        r.rings = a[14]
        r.hops = a[15]
        // issue 12: [..., code owner, private 0/1]
        if (a.length === 18) {
            if (a[16]) r.owner = "" + a[16]
            if (a[17]) r.private = true
        }
    }
    return r
}

/**
 * The records not yet surely at the broker, oldest first: a ring of
 * settings keys "rec0".."rec<max-1>" from slot `head` on, `count` long.
 * Nothing per record is kept in RAM (a queue of record objects took ~60
 * bytes of heap each): the order is the ring's, and a restart finds the
 * oldest by its (boot, seq).
 */
export class RecordQueue {
    /** The slot of the oldest record. */
    head = 0
    /** Records queued, from head on (a slot may be empty: skipped). */
    count = 0
    dropped = 0
    /** Last flash problem, "" when none. */
    error = ""
    kv: KeyValueStore
    private max: number
    /** Flash writes under way: the newest records, finishing in order. */
    private writing = 0

    constructor(kv: KeyValueStore, max?: number) {
        this.kv = kv
        this.max = max || MAX_RECORDS
    }

    /** Reads the records left from before the restart (unreadable ones are removed). */
    async load() {
        const d = parseInt((await this.kv.read(DROPPED_KEY)) || "0")
        this.dropped = d > 0 ? d : 0
        // [boot, seq, slot] of the oldest and the newest (encodeRecord)
        let lo: any = undefined
        let hi: any = undefined
        for (let slot = 0; slot < this.max; ++slot) {
            const v = await this.kv.read(slotKey(slot))
            if (v === undefined) continue
            let a: any = undefined
            try {
                a = JSON.parse(v)
            } catch (e) {}
            if (!Array.isArray(a) || a.length < 7) {
                await this.kv.remove(slotKey(slot))
                continue
            }
            a[2] = slot
            if (!lo || a[0] < lo[0] || (a[0] === lo[0] && a[1] < lo[1])) lo = a
            if (!hi || a[0] > hi[0] || (a[0] === hi[0] && a[1] > hi[1])) hi = a
        }
        if (!lo) return
        this.head = lo[2]
        this.count = ((hi[2] - lo[2] + this.max) % this.max) + 1
    }

    /** The slot of the oldest record in flash, -1 when none. */
    first(): number {
        return this.count > this.writing ? this.head : -1
    }

    /**
     * Queues a record (or its flash text, encodeRecord: a fiber waiting on
     * flash then holds ~100 bytes, not a record object of ~500) and
     * resolves once it is in flash. The slot is taken at once, so
     * concurrent adds never share one. A full ring, or a flash too full
     * for one more, loses the oldest record (counted in `dropped`, as is
     * the record itself when even that did not make room).
     */
    async add(rec: CallRecord | string) {
        if (this.count === this.max) await this.dropOldest()
        const slot = (this.head + this.count++) % this.max
        const text = typeof rec === "string" ? rec : encodeRecord(rec)
        this.writing++
        let ok = await this.write(slotKey(slot), text)
        if (!ok && this.count > this.writing) {
            // the flash is full: the oldest makes room
            await this.dropOldest()
            ok = await this.write(slotKey(slot), text)
        }
        this.writing--
        if (!ok) this.dropped++
    }

    private async dropOldest() {
        this.dropped++
        await this.remove(this.head)
        await this.write(DROPPED_KEY, "" + this.dropped)
    }

    /**
     * The wire message of the record in `slot` (PROTOCOL.md) for board
     * `board`, without its closing "}", built straight from its flash text: no record object on the
     * heap while the queue empties after a reconnect. "" when unreadable.
     */
    async message(slot: number, board: string): Promise<string> {
        const v = await this.kv.read(slotKey(slot))
        if (v === undefined) return ""
        let a: any[] | undefined = undefined
        try {
            a = JSON.parse(v)
        } catch (e) {}
        if (
            !Array.isArray(a) ||
            (a.length !== 7 && a.length !== 16 && a.length !== 18)
        )
            return ""
        const str = (x: any) => JSON.stringify(x)
        let m =
            '{"board":' +
            str(board) +
            ',"id":' +
            str(board + "-" + a[0] + "-" + a[1])
        // the flash array's places as wire keys (encodeRecord); the first
        // five always, the rest when set
        for (let i = 2; i < a.length && i < WIRE_KEYS.length; ++i)
            if (WIRE_KEYS[i] && (i < 7 || i === 11 || a[i]))
                m += ',"' + WIRE_KEYS[i] + '":' + str(a[i])
        if (a.length >= 16) {
            if (a[7] === 0) m += ',"dir":"in"'
            if (a[9] >= 0) m += ',"answered":' + unoffset(a[9], a[5])
            if (a[10] >= 0) m += ',"end":' + unoffset(a[10], a[5])
            if (a[17]) m += ',"private":true'
        }
        return m // (without its "}": the sync's publish signs and closes it)
    }

    /** The oldest record (in `slot`) is surely out: forget it. */
    async remove(slot: number) {
        if (!this.count || slot !== this.head) return // dropped meanwhile
        this.head = (this.head + 1) % this.max
        this.count--
        try {
            await this.kv.remove(slotKey(slot))
        } catch (e) {
            this.error = "call register flash: " + (e as Error).message
        }
    }

    private async write(key: string, value: string): Promise<boolean> {
        try {
            await this.kv.write(key, value)
            this.error = ""
            return true
        } catch (e) {
            this.error = "call register flash: " + (e as Error).message
            return false
        }
    }
}

/** The record in `slot` (tests, benches); undefined if unreadable. */
export async function readRecord(
    q: RecordQueue,
    slot: number
): Promise<CallRecord | undefined> {
    const v = await q.kv.read(slotKey(slot))
    return v === undefined ? undefined : decodeRecord(v)
}
