// Regenerates devs/numbering/countryLengths.ts from libphonenumber-js
// metadata (Google's PhoneNumberMetadata.xml, "max" build): how many digits
// follow the international prefix 00 for each calling code and, where the
// length depends on them, its first two national digits.
//
// The national number patterns of every number type (fixed line, mobile,
// toll free, ...) of every region sharing a calling code are turned into
// one automaton; from it, for a calling code and a national prefix, the set
// of lengths a valid number starting so can have. A calling code's entry
// is its min-max; below it, a prefix gets an entry where its range differs
// from what it would inherit, and "key*" gives the range most of key's ten
// children share (the others are listed). China (+86) is left out: 00 86 is
// a national call (devs/numbering/chinaPlan.ts).
// Usage: node scripts/gen-country-lengths.mjs > devs/numbering/countryLengths.ts
import { readFileSync } from "node:fs"

const lib = new URL("../node_modules/libphonenumber-js/", import.meta.url)
const metadata = JSON.parse(readFileSync(new URL("metadata.max.json", lib)))
const { version } = JSON.parse(readFileSync(new URL("package.json", lib)))
/** National digits below the calling code that may refine its lengths. */
const DEPTH = 2
/** The longest national number in the metadata (Japan, Indonesia: 17). */
const NATIONAL_MAX = 17

// ---- the pattern subset libphonenumber uses: digits, \d, [0-9 ranges],
// (?:...), |, ?, {n}, {n,m} ----

function parse(src) {
    let i = 0
    const alt = () => {
        const branches = [seq()]
        while (src[i] === "|") {
            i++
            branches.push(seq())
        }
        return branches.length === 1 ? branches[0] : { alt: branches }
    }
    const seq = () => {
        const items = []
        while (i < src.length && src[i] !== "|" && src[i] !== ")")
            items.push(quantified(atom()))
        return { seq: items }
    }
    const atom = () => {
        const c = src[i]
        if (src.startsWith("(?:", i)) {
            i += 3
            const a = alt()
            if (src[i++] !== ")") throw new Error("missing ) in " + src)
            return a
        }
        if (src.startsWith("\\d", i)) {
            i += 2
            return { digits: 0x3ff }
        }
        if (c === "[") {
            const end = src.indexOf("]", i)
            const body = src.slice(i + 1, end)
            i = end + 1
            let mask = 0
            for (let k = 0; k < body.length; k++)
                if (body[k + 1] === "-") {
                    for (let d = +body[k]; d <= +body[k + 2]; d++)
                        mask |= 1 << d
                    k += 2
                } else mask |= 1 << +body[k]
            return { digits: mask }
        }
        if (c >= "0" && c <= "9") {
            i++
            return { digits: 1 << +c }
        }
        throw new Error(`unexpected ${c} at ${i} in ${src}`)
    }
    const quantified = a => {
        if (src[i] === "?") {
            i++
            return { repeat: a, min: 0, max: 1 }
        }
        if (src[i] === "{") {
            const end = src.indexOf("}", i)
            const [lo, hi] = src.slice(i + 1, end).split(",")
            i = end + 1
            return { repeat: a, min: +lo, max: hi === undefined ? +lo : +hi }
        }
        return a
    }
    const tree = alt()
    if (i !== src.length) throw new Error("cannot parse " + src)
    return tree
}

/** Nondeterministic automaton: per state, epsilon moves and digit-set moves. */
class Automaton {
    eps = []
    moves = []
    state() {
        this.eps.push([])
        this.moves.push([])
        return this.eps.length - 1
    }
    /** Adds `node` after state `from`; returns its end state. */
    add(node, from) {
        if (node.digits) {
            const to = this.state()
            this.moves[from].push([node.digits, to])
            return to
        }
        if (node.seq) return node.seq.reduce((s, n) => this.add(n, s), from)
        const end = this.state()
        if (node.alt) {
            for (const b of node.alt) this.eps[this.add(b, from)].push(end)
            return end
        }
        let s = from
        for (let k = 0; k < node.min; k++) s = this.add(node.repeat, s)
        this.eps[s].push(end)
        for (let k = node.min; k < node.max; k++) {
            s = this.add(node.repeat, s)
            this.eps[s].push(end)
        }
        return end
    }
    closure(states) {
        const out = new Set(states)
        const todo = [...states]
        while (todo.length)
            for (const t of this.eps[todo.pop()])
                if (!out.has(t)) (out.add(t), todo.push(t))
        return out
    }
    step(states, mask) {
        const next = []
        for (const s of states)
            for (const [m, t] of this.moves[s]) if (m & mask) next.push(t)
        return this.closure(next)
    }
}

/** One number type: its automaton and the lengths libphonenumber allows it. */
function numberType(pattern, lengths) {
    const a = new Automaton()
    const start = a.state()
    const accept = a.add(parse(pattern), start)
    return { a, start, accept, lengths: new Set(lengths) }
}

/** Lengths of the numbers of type `t` that start with `prefix`. */
function lengthsOf(t, prefix, into) {
    let s = t.a.closure([t.start])
    for (const ch of prefix) s = t.a.step(s, 1 << +ch)
    for (let len = prefix.length; len <= NATIONAL_MAX && s.size; len++) {
        if (s.has(t.accept) && t.lengths.has(len)) into.add(len)
        s = t.a.step(s, 0x3ff)
    }
}

// Calling code -> its number types (all regions sharing it).
const types = {}
const addRegion = (cc, region) => {
    for (const t of region[11] || [])
        if (t) (types[cc] ??= []).push(numberType(t[0], t[1] || region[3]))
}
for (const [cc, regions] of Object.entries(metadata.country_calling_codes)) {
    if (cc === "86") continue
    for (const r of regions)
        if (metadata.countries[r]) addRegion(cc, metadata.countries[r])
    if (metadata.nonGeographic[cc]) addRegion(cc, metadata.nonGeographic[cc])
}

/** [min, max] national length of the calling code's numbers starting `prefix`, or undefined. */
function range(cc, prefix) {
    const lens = new Set()
    for (const t of types[cc] || []) lengthsOf(t, prefix, lens)
    if (!lens.size) return undefined
    return [Math.min(...lens), Math.max(...lens), lens.size]
}

const same = (a, b) => a[0] === b[0] && a[1] === b[1]
/** Entries per world zone (the calling code's first digit). */
const zones = ["", "", "", "", "", "", "", "", "", ""]
const entry = (cc, key, r) => {
    // Digits after 00: the calling code and the national number.
    const min = cc.length + r[0]
    const max = cc.length + r[1]
    zones[+cc[0]] += ` ${key}:${min === max ? max : min + "-" + max}`
}
/** Entries for prefix p's children, whose range would be `inherited`. */
function refine(cc, p, inherited) {
    if (p.length >= DEPTH) return
    const kids = []
    for (let d = 0; d <= 9; d++) kids.push([p + d, range(cc, p + d)])
    const count = {}
    let common
    for (const [, r] of kids) {
        if (!r) continue
        const k = r[0] + "-" + r[1]
        count[k] = (count[k] || 0) + 1
        if (!common || count[k] > count[common]) common = k
    }
    let dflt = inherited
    const shared = common && common.split("-").map(Number)
    if (shared && count[common] > 1 && !same(shared, inherited)) {
        dflt = shared
        entry(cc, cc + p + "*", dflt)
    }
    for (const [q, r] of kids) {
        if (!r) continue
        if (!same(r, dflt)) entry(cc, cc + q, r)
        if (r[2] > 1) refine(cc, q, same(r, dflt) ? dflt : r)
    }
}
for (const cc of Object.keys(types).sort()) {
    const r = range(cc, "")
    if (!r) continue
    entry(cc, cc, r)
    if (r[2] > 1) refine(cc, "", r)
}

const body = zones.map(z => `    "${z ? z + " " : ""}",`).join("\n")
console.log(`// Generated by scripts/gen-country-lengths.mjs from libphonenumber-js ${version}. Do not edit.
// How many digits follow the international prefix 00, by calling code and
// the first national digits (libphonenumber's PhoneNumberMetadata.xml, every
// number type): a number that reaches the longest is complete at its last
// key. China (+86) is not here: 00 86 is a call inside China.

/**
 * By world zone (the first digit after 00): " key:min-max" words, "key:n"
 * where the length is fixed. key = calling code + national digits; the
 * longest key that starts the number wins, and "key*:..." holds for key's
 * children without an entry of their own. min-max count the digits after
 * 00, calling code included.
 */
export const COUNTRY_LENGTHS = [
${body}
]

/** The longest key (calling code + ${DEPTH} national digits). */
export const COUNTRY_KEY_MAX = ${3 + DEPTH}`)
