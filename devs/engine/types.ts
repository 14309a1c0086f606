// The compiled dial plan: what the engine walks on every key press.
// Portable: no @devicescript/* import.

import { Category } from "../numbering/categories"
import { Handset, Timers } from "../policy/types"
import { PackedTrie } from "./trie"

export interface Rule {
    cat: Category
    /** Position of cat in CATEGORY_PRECEDENCE (lower wins), kept to spare a lookup per key. */
    rank: number
    /** Digits the rule takes after its literal prefix: min..max. */
    min: number
    max: number
    /** Allowed digits per tail position ("" or missing = any digit). */
    pat: string[]
    /** Decide the moment the rule is complete (emergency, blocked/premium prefixes). */
    immediate: boolean
    /** Why the number is refused whatever the handset ("siteBlocked"), else "". */
    code: string
}

export interface DialPlan {
    trie: PackedTrie
    /** Where dialling starts: extensions, emergency, outside-line prefix. */
    insideRoot: number
    /** The public numbering plan (same as insideRoot without an outside-line prefix). */
    outsideRoot: number
    rules: Rule[]
    /** lists[i] = rule indices of rule list i; list 0 is "no rules". */
    lists: number[][]
    ipPrefix: string
    areaCode: string
    timers: Timers
    version: number
    /** The handsets this plan serves, by extension. */
    handsets: Handset[]
}
