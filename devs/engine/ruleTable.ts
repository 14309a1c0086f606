// The compiled rules and rule lists of a dial plan, packed into Buffers.
// As objects and arrays they took ~17 KB of the 64 KB heap for a 4-handset
// site (34 rules, 24 lists: every DeviceScript object and array carries its
// own header and property table, measured in the VM); packed they take a
// few hundred bytes.
// Portable: no @devicescript/* import.

import { Category, CATEGORY_PRECEDENCE } from "../numbering/categories"
import { Rule } from "./types"

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
    private buf: Buffer
    private masks: Buffer
    /** Distinct refusal codes; codes[0] = "". */
    private codes: string[]
    count: number

    constructor(rules: Rule[]) {
        this.count = rules.length
        this.buf = Buffer.alloc(RULE * (rules.length || 1))
        this.codes = [""]
        // distinct patterns, stored once: "1,6,0" -> start in masks
        const starts: any = {}
        let n = 0
        for (const r of rules) {
            const key = r.pat.join(",")
            if (starts[key] === undefined) {
                starts[key] = n
                n += r.pat.length
            }
        }
        this.masks = Buffer.alloc(2 * (n || 1))
        for (const r of rules) {
            const at = starts[r.pat.join(",")]
            for (let k = 0; k < r.pat.length; ++k) {
                let m = 0
                for (let j = 0; j < r.pat[k].length; ++j)
                    m |= 1 << (r.pat[k].charCodeAt(j) - 48)
                this.masks[2 * (at + k)] = m & 0xff
                this.masks[2 * (at + k) + 1] = m >> 8
            }
        }
        for (let i = 0; i < rules.length; ++i) {
            const r = rules[i]
            const p = starts[r.pat.join(",")]
            let c = this.codes.indexOf(r.code)
            if (c < 0) {
                c = this.codes.length
                this.codes.push(r.code)
            }
            const at = i * RULE
            this.buf[at] = r.rank
            this.buf[at + 1] = r.min
            this.buf[at + 2] = r.max
            this.buf[at + 3] =
                (r.immediate ? F_IMMEDIATE : 0) | (c << CODE_SHIFT)
            this.buf[at + 4] = p & 0xff
            this.buf[at + 5] = p >> 8
            this.buf[at + 6] = r.pat.length
        }
    }

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

    /** May tail digit `pos` of rule i be digit `d` (0-9)? */
    allows(i: number, pos: number, d: number): boolean {
        const at = i * RULE
        if (pos >= this.buf[at + 6]) return true
        const m = 2 * ((this.buf[at + 4] | (this.buf[at + 5] << 8)) + pos)
        return ((this.masks[m] | (this.masks[m + 1] << 8)) & (1 << d)) !== 0
    }
}

/** The rule lists of a plan: list li holds entries start(li)..end(li)-1. */
export class ListTable {
    /** u16 rule indices of every list, one after another. */
    private entries: Buffer
    /** u16 start of each list in entries, plus one for the end of the last. */
    private starts: Buffer
    count: number

    constructor(lists: number[][]) {
        this.count = lists.length
        let n = 0
        for (const l of lists) n += l.length
        this.entries = Buffer.alloc(2 * (n || 1))
        this.starts = Buffer.alloc(2 * (lists.length + 1))
        let at = 0
        for (let li = 0; li < lists.length; ++li) {
            this.setStart(li, at)
            for (const r of lists[li]) {
                this.entries[2 * at] = r & 0xff
                this.entries[2 * at + 1] = r >> 8
                at++
            }
        }
        this.setStart(lists.length, at)
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

    /** The rule index at position j of the entries. */
    entry(j: number): number {
        return this.entries[2 * j] | (this.entries[2 * j + 1] << 8)
    }
}
