// The `extensions` of a board policy: the site's other extensions as
// space-separated words, runs of consecutive numbers written "lo-hi"
// ("2000-2999 8000 8101-8102"). Offices number extensions in blocks, so a
// site of thousands of handsets takes a few dozen bytes in the message, in
// the board's flash and on its heap.
// Portable: no @devicescript/* import, the same file runs in the VM and Node.

import { WordCursor } from "../numbering/digits"
import { extensionProblem } from "./validate"

/** Longest run a range may stand for (a bound on the board's work). */
export const MAX_RANGE = 10000

function isExtension(s: string): boolean {
    return extensionProblem(s) === ""
}

/** Host side: extensions → words, runs of 3 or more as "lo-hi". */
export function compressExtensions(exts: string[]): string {
    const sorted = exts
        .slice()
        .sort((a, b) =>
            a.length !== b.length
                ? a.length - b.length
                : parseInt(a) - parseInt(b)
        )
    const words: string[] = []
    let i = 0
    while (i < sorted.length) {
        let j = i
        while (
            j + 1 < sorted.length &&
            sorted[j + 1].length === sorted[i].length &&
            parseInt(sorted[j + 1]) === parseInt(sorted[j]) + 1 &&
            j + 1 - i < MAX_RANGE - 1
        )
            j++
        if (j - i >= 2) words.push(sorted[i] + "-" + sorted[j])
        else for (let k = i; k <= j; ++k) words.push(sorted[k])
        i = j + 1
    }
    return words.join(" ")
}

/**
 * Board side: the extensions as dial-plan entries, one at a time: a prefix
 * and how many digits follow it freely (`free`). A plain extension is
 * itself with 0; a range is cut into the few prefixes that cover it
 * exactly (2000-3499: "2" + 3 digits, "30".."34" + 2 digits), so a block of
 * a thousand extensions costs a handful of trie nodes, not a thousand.
 * Throws Error("extensions: ...") on a word that is neither an extension
 * nor a range of them.
 */
export class ExtensionReader {
    /** Digits that follow the last prefix next() returned. */
    free = 0
    private words: WordCursor
    private empty: boolean
    /** Entries of the range being read, last first. */
    private prefixes: string[] = []
    private frees: number[] = []

    constructor(words: string) {
        this.words = new WordCursor(words)
        this.empty = words.length === 0
    }

    /** The next prefix, or undefined at the end. */
    next(): string | undefined {
        if (this.prefixes.length) {
            // (the two lists grow and shrink together)
            this.free = this.frees.pop() as number
            return this.prefixes.pop()
        }
        if (this.empty || this.words.done()) return undefined
        const w = this.words.next()
        const r = rangeOf(w)
        if (!r) throw bad(w)
        this.free = 0
        const dash = w.indexOf("-")
        if (dash < 0) return w
        const lo = w.slice(0, dash)
        const hi = w.slice(dash + 1)
        const pre: string[] = []
        const fr: number[] = []
        cover(lo, hi, pre, fr)
        // popped from the end: reversed, so they come out in order
        for (let k = pre.length - 1; k >= 0; --k) {
            this.prefixes.push(pre[k])
            this.frees.push(fr[k])
        }
        return this.next()
    }
}

/**
 * The numbers a word stands for, [lo, hi] (lo = hi for an extension), or
 * undefined when it is neither an extension nor a range lo-hi of them of
 * the same length and at most MAX_RANGE long.
 */
export function rangeOf(w: string): number[] | undefined {
    const dash = w.indexOf("-")
    if (dash < 0) return isExtension(w) ? [parseInt(w), parseInt(w)] : undefined
    const lo = w.slice(0, dash)
    const hi = w.slice(dash + 1)
    if (!isExtension(lo) || !isExtension(hi) || lo.length !== hi.length)
        return undefined
    const a = parseInt(lo)
    const b = parseInt(hi)
    return b < a || b - a >= MAX_RANGE ? undefined : [a, b]
}

/** Is extension `ext` one of `words` (extensions and lo-hi ranges)? */
export function inWords(words: string, ext: string): boolean {
    // native searches, not a VM loop per word
    if ((" " + words + " ").indexOf(" " + ext + " ") >= 0) return true
    if (words.indexOf("-") < 0) return false
    // (no leading 0: a number within a range has the range's length)
    const n = parseInt(ext)
    const cur = new WordCursor(words)
    while (!cur.done()) {
        const r = rangeOf(cur.next())
        if (r && n >= r[0] && n <= r[1]) return true
    }
    return false
}

function repeat(c: string, n: number): string {
    let s = ""
    for (let i = 0; i < n; ++i) s += c
    return s
}

/**
 * The prefixes (and free digits after each) that cover lo..hi exactly;
 * lo and hi have the same length. At most ~2 x 9 per digit.
 */
export function cover(lo: string, hi: string, pre: string[], fr: number[]) {
    const n = lo.length
    let c = 0
    while (c < n && lo.charAt(c) === hi.charAt(c)) c++
    const rest = n - c
    if (
        lo.slice(c) === repeat("0", rest) &&
        hi.slice(c) === repeat("9", rest)
    ) {
        pre.push(lo.slice(0, c))
        fr.push(rest)
        return
    }
    // lo and hi differ at c (a < b): lo..a99, (a+1)..(b-1) whole, b00..hi
    const head = lo.slice(0, c)
    const a = lo.charCodeAt(c) - 48
    const b = hi.charCodeAt(c) - 48
    cover(lo, head + a + repeat("9", rest - 1), pre, fr)
    for (let d = a + 1; d < b; ++d) {
        pre.push(head + d)
        fr.push(rest - 1)
    }
    cover(head + b + repeat("0", rest - 1), hi, pre, fr)
}

function bad(w: string): Error {
    return new Error(
        "extensions: " +
            JSON.stringify(w) +
            " is not an extension (2-6 digits, not starting with 0 or 1) or a range lo-hi of them"
    )
}

/** How many dial-plan entries `words` makes (for sizing the trie). */
export function countEntries(words: string): number {
    if (!words.length) return 0
    const cur = new WordCursor(words)
    let n = 0
    while (!cur.done()) {
        const w = cur.next()
        // a range: at most 2 x 9 prefixes per digit, usually a few
        n += w.indexOf("-") < 0 ? 1 : 2 * w.length
    }
    return n
}

/** How many extensions `words` stands for (malformed words count 1). */
export function countExtensions(words: string): number {
    if (!words.length) return 0
    const cur = new WordCursor(words)
    let n = 0
    while (!cur.done()) {
        const r = rangeOf(cur.next())
        n += r ? r[1] - r[0] + 1 : 1
    }
    return n
}
