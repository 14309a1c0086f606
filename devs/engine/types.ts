// The compiled dial plan: what the engine walks on every key press.
// Portable: no @devicescript/* import.

import { Category } from "../numbering/categories"
import { Handset, Timers } from "../policy/types"
import { ListTable, RuleTable } from "./ruleTable"
import { PackedTrie } from "./trie"

export interface Rule {
    cat: Category
    /** Position of cat in CATEGORY_PRECEDENCE (lower wins), kept to spare a lookup per key. */
    rank: number
    /** Digits the rule takes after its literal prefix: min..max. */
    min: number
    max: number
    /** Allowed digits per tail position (missing = any digit). */
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
    /** The rules (packed; built from Rule objects). */
    rules: RuleTable
    /** Rule list i: the rules that start at the trie nodes pointing to it; list 0 is "no rules". */
    lists: ListTable
    ipPrefix: string
    areaCode: string
    timers: Timers
    version: number
    /** The handsets this plan serves, by extension. */
    handsets: Handset[]
}
