// The compiled rules and rule lists of a dial plan, packed into Buffers.
// As objects and arrays they took ~17 KB of the 64 KB heap for a 4-handset
// site (34 rules, 24 lists: every DeviceScript object and array carries its
// own header and property table, measured in the VM); packed they take a
// few hundred bytes.
// Portable: no @devicescript/* import.

import { Category, CATEGORY_PRECEDENCE } from "../numbering/categories"

/**
 * Bytes per rule: rank, min, max, flags, tail pattern start (u16) and
 * length: the pattern is that many u16 digit masks in `masks`, one per
 * tail position (bit d: digit d allowed).
 */
const RULE = 7
const F_IMMEDIATE = 1
/** Index into `codes` in the upper bits of flags. */
const CODE_SHIFT = 1

/** The rules of a plan; rule i's fields through the accessors. */
export class RuleTable {
    constructor(
        private buf: Buffer,
        private masks: Buffer,
        /** Distinct refusal codes; codes[0] = "". */
        private codes: string[],
        public count: number
    ) {}

    /** Position of the category in CATEGORY_PRECEDENCE (lower wins). */
    rank(i: number): number {
        return this.buf[i * RULE]
    }

    cat(i: number): Category {
        return CATEGORY_PRECEDENCE[this.buf[i * RULE]]
    }

    /** Digits the rule takes after its literal prefix: min..max. */
    min(i: number): number {
        return this.buf[i * RULE + 1]
    }

    max(i: number): number {
        return this.buf[i * RULE + 2]
    }

    /** Decided the moment it is complete (emergency, blocked/premium prefixes). */
    immediate(i: number): boolean {
        return (this.buf[i * RULE + 3] & F_IMMEDIATE) !== 0
    }

    /** Why the number is refused whatever the handset ("siteBlocked"), else "". */
    code(i: number): string {
        return this.codes[this.buf[i * RULE + 3] >> CODE_SHIFT]
    }

    /** Bytes of the two Buffers (the heap figure in `npm run bench`). */
    bytes(): number {
        return this.buf.length + this.masks.length
    }

    /** May tail digit `pos` of rule i be digit `d` (0-9)? */
    allows(i: number, pos: number, d: number): boolean {
        const at = i * RULE
        if (pos >= this.buf[at + 6]) return true
        const m = 2 * ((this.buf[at + 4] | (this.buf[at + 5] << 8)) + pos)
        return ((this.masks[m] | (this.masks[m + 1] << 8)) & (1 << d)) !== 0
    }
}

function grow(b: Buffer, need: number): Buffer {
    if (need <= b.length) return b
    const bigger = Buffer.alloc(need > 2 * b.length ? need : 2 * b.length)
    for (let i = 0; i < b.length; ++i) bigger[i] = b[i]
    return bigger
}

/**
 * Builds a RuleTable straight into its Buffers while the plan is compiled:
 * rule objects would cost the heap more than the finished plan (the peak
 * of a policy update, when memory is tightest).
 */
export class RuleTableBuilder {
    private buf = Buffer.alloc(RULE * 48)
    private masks = Buffer.alloc(2 * 32)
    private nMasks = 0
    private codes = [""]
    /** rule key -> index, pattern key -> start in masks */
    private index: any = {}
    private patStart: any = {}
    count = 0

    /** The index of the rule with these fields (added once). */
    add(
        cat: Category,
        min: number,
        max: number,
        pat: string[],
        immediate: boolean,
        code: string
    ): number {
        const patKey = pat.join(",")
        const key =
            cat +
            "|" +
            min +
            "|" +
            max +
            "|" +
            patKey +
            "|" +
            immediate +
            "|" +
            code
        const known = this.index[key]
        if (known !== undefined) return known
        let p = this.patStart[patKey]
        if (p === undefined) {
            p = this.nMasks
            this.patStart[patKey] = p
            this.nMasks += pat.length
            this.masks = grow(this.masks, 2 * this.nMasks)
            for (let k = 0; k < pat.length; ++k) {
                let m = 0
                for (let j = 0; j < pat[k].length; ++j)
                    m |= 1 << (pat[k].charCodeAt(j) - 48)
                this.masks[2 * (p + k)] = m & 0xff
                this.masks[2 * (p + k) + 1] = m >> 8
            }
        }
        let c = this.codes.indexOf(code)
        if (c < 0) {
            c = this.codes.length
            this.codes.push(code)
        }
        const i = this.count++
        this.buf = grow(this.buf, RULE * this.count)
        const at = i * RULE
        this.buf[at] = CATEGORY_PRECEDENCE.indexOf(cat)
        this.buf[at + 1] = min
        this.buf[at + 2] = max
        this.buf[at + 3] = (immediate ? F_IMMEDIATE : 0) | (c << CODE_SHIFT)
        this.buf[at + 4] = p & 0xff
        this.buf[at + 5] = p >> 8
        this.buf[at + 6] = pat.length
        this.index[key] = i
        return i
    }

    /** The rules so far (sharing this builder's buffers). */
    table(): RuleTable {
        return new RuleTable(this.buf, this.masks, this.codes, this.count)
    }

    /** The finished table, in buffers of its exact size. */
    finish(): RuleTable {
        return new RuleTable(
            this.buf.slice(0, RULE * this.count),
            this.masks.slice(0, 2 * this.nMasks),
            this.codes,
            this.count
        )
    }
}

/** The rule lists of a plan: list li holds entries start(li)..end(li)-1. */
export class ListTable {
    /** u16 rule indices of every list, one after another. */
    private entries: Buffer
    /** u16 start of each list in entries, plus one for the end of the last. */
    private starts: Buffer
    count: number

    /** From lists written as keys: "3,7,12" (rule indices), "" for none. */
    constructor(keys: string[]) {
        this.count = keys.length
        let n = 0
        for (const k of keys) if (k) n += wordCountOf(k)
        this.entries = Buffer.alloc(2 * (n || 1))
        this.starts = Buffer.alloc(2 * (keys.length + 1))
        let at = 0
        for (let li = 0; li < keys.length; ++li) {
            this.setStart(li, at)
            const k = keys[li]
            let from = 0
            while (k && from <= k.length) {
                let to = k.indexOf(",", from)
                if (to < 0) to = k.length
                const r = parseInt(k.slice(from, to))
                this.entries[2 * at] = r & 0xff
                this.entries[2 * at + 1] = r >> 8
                at++
                from = to + 1
            }
        }
        this.setStart(keys.length, at)
    }

    private setStart(li: number, v: number) {
        this.starts[2 * li] = v & 0xff
        this.starts[2 * li + 1] = v >> 8
    }

    start(li: number): number {
        return this.starts[2 * li] | (this.starts[2 * li + 1] << 8)
    }

    end(li: number): number {
        return this.start(li + 1)
    }

    bytes(): number {
        return this.entries.length + this.starts.length
    }

    /** The rule index at position j of the entries. */
    entry(j: number): number {
        return this.entries[2 * j] | (this.entries[2 * j + 1] << 8)
    }
}

function wordCountOf(key: string): number {
    let n = 1
    for (let at = key.indexOf(","); at >= 0; at = key.indexOf(",", at + 1)) n++
    return n
}
