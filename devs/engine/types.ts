// The compiled dial plan: what the engine walks on every key press.
// Portable: no @devicescript/* import.

import { Handset, Timers } from "../policy/types"
import { ListTable, RuleTable } from "./ruleTable"
import { PackedTrie } from "./trie"

export interface DialPlan {
    trie: PackedTrie
    /** Where dialling starts: extensions, emergency, outside-line prefix. */
    insideRoot: number
    /** The public numbering plan (same as insideRoot without an outside-line prefix). */
    outsideRoot: number
    /** The rules (packed; built from Rule objects). */
    rules: RuleTable
    /**
     * The international rule (00 + 7-15 digits): once the calling code is
     * dialled its min..max become the called country's (Matcher).
     */
    countryRule: number
    /** Rule list i: the rules that start at the trie nodes pointing to it; list 0 is "no rules". */
    lists: ListTable
    ipPrefix: string
    areaCode: string
    timers: Timers
    version: number
    /** The handsets this plan serves, by extension. */
    handsets: Handset[]
}
