// Small digit-string helpers shared by the policy checker and the plan compiler.
// Portable: no @devicescript/* import, no RegExp.

import { AREA_CODES_7, AREA_CODES_7_OR_8, AREA_CODES_8 } from "./areaCodes"
import { COUNTRY_LENGTHS } from "./countryLengths"

/** Calls fn for each space-separated word (without allocating a split array). */
export function eachWord(words: string, fn: (w: string) => void) {
    let start = 0
    while (start < words.length) {
        let end = words.indexOf(" ", start)
        if (end < 0) end = words.length
        if (end > start) fn(words.slice(start, end))
        start = end + 1
    }
}

/** Splits a premium entry "168xxxxx" into its literal part and the count of x's. */
export function splitPattern(p: string): { literal: string; anyCount: number } {
    let n = p.length
    while (n > 0 && p.charAt(n - 1) === "x") n--
    return { literal: p.slice(0, n), anyCount: p.length - n }
}

/** Is `word` one of the space-separated words of `words`? (native indexOf: fast in the VM) */
export function hasWord(words: string, word: string): boolean {
    return (" " + words + " ").indexOf(" " + word + " ") >= 0
}

export function wordCount(words: string): number {
    // One native indexOf per word, not a VM loop per character.
    let n = words.length ? 1 : 0
    let at = words.indexOf(" ")
    while (at >= 0) {
        n++
        at = words.indexOf(" ", at + 1)
    }
    return n
}

/** Reads space-separated words one at a time, without splitting the string up front. */
export class WordCursor {
    private pos = 0
    constructor(private words: string) {}

    next(): string {
        let end = this.words.indexOf(" ", this.pos)
        if (end < 0) end = this.words.length
        const w = this.words.slice(this.pos, end)
        this.pos = end + 1
        return w
    }

    /** No word left ("" has one empty word). */
    done(): boolean {
        return this.pos > this.words.length
    }
}

/** Subscriber number length(s) behind an area code (without the 0), or undefined. */
export function subscriberLengths(ac: string): number[] | undefined {
    if (hasWord(AREA_CODES_8, ac)) return [8, 8]
    if (hasWord(AREA_CODES_7, ac)) return [7, 7]
    if (hasWord(AREA_CODES_7_OR_8, ac)) return [7, 8]
    return undefined
}

/**
 * How many digits follow 00 in numbers that start 00 + `key` (a calling
 * code and maybe its first national digits) when `key` has an entry of its
 * own or its parent's "*" entry holds for it: min * 100 + max, else -1.
 * One native indexOf in the table of the key's world zone.
 */
export function countryLengths(key: string): number {
    const zone = COUNTRY_LENGTHS[key.charCodeAt(0) - 48]
    if (!zone) return -1
    let at = zone.indexOf(" " + key + ":")
    if (at < 0 && key.length > 1)
        at = zone.indexOf(" " + key.slice(0, key.length - 1) + "*:")
    if (at < 0) return -1
    const from = zone.indexOf(":", at) + 1
    const end = zone.indexOf(" ", from)
    const dash = zone.indexOf("-", from)
    const max = parseInt(
        zone.slice(dash >= 0 && dash < end ? dash + 1 : from, end)
    )
    const min = dash >= 0 && dash < end ? parseInt(zone.slice(from, dash)) : max
    return min * 100 + max
}
