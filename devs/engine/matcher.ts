// Incremental matching of dialled digits against the dial plan. Each digit
// moves one step down the trie and advances the few rules still open (at
// most one per prefix of what was dialled), so the work per key does not
// depend on how many extensions or list entries the policy has.
// Portable: no @devicescript/* import.

import { Category } from "../numbering/categories"
import { FLAG_ALLOW, FLAG_STRIP, FLAG_SUPERSEDE } from "./trie"
import { DialPlan } from "./types"

export class Matcher {
    plan: DialPlan
    /** Everything dialled so far. */
    digits: string
    /** Where the number proper starts, after stripped prefixes. */
    numberStart: number
    /** An allowed-list prefix was passed: the class of service is lifted. */
    allowed: boolean
    /** An immediate rule (emergency, blocked or premium prefix) completed: its index, else -1. */
    immediate: number
    /** Current trie node, -1 once the digits left the literal prefixes. */
    private node: number
    /** Open rules and how many tail digits each has taken: entries 0..openCount-1. */
    private openRule: number[] = []
    private openUsed: number[] = []
    private openCount = 0

    constructor(plan: DialPlan) {
        this.plan = plan
        this.reset()
    }

    /** Starts over; `root` defaults to where dialling starts (the inside root). */
    reset(root?: number) {
        this.digits = ""
        this.numberStart = 0
        this.allowed = false
        this.immediate = -1
        this.openCount = 0
        this.arrive(root === undefined ? this.plan.insideRoot : root)
    }

    /** The number without any outside-line or IP prefix the user dialled. */
    number(): string {
        return this.digits.slice(this.numberStart)
    }

    push(key: string) {
        this.digits = this.digits + key
        const d = key.charCodeAt(0) - 48
        if (key.length !== 1 || d < 0 || d > 9) {
            // Not a digit: nothing in the plan can match any more.
            this.node = -1
            this.openCount = 0
            return
        }
        const rules = this.plan.rules
        let kept = 0
        for (let k = 0; k < this.openCount; ++k) {
            const r = this.openRule[k]
            const pos = this.openUsed[k]
            if (pos >= rules.max(r)) continue
            if (!rules.allows(r, pos, d)) continue
            this.openRule[kept] = this.openRule[k]
            this.openUsed[kept] = pos + 1
            kept++
        }
        this.openCount = kept
        if (this.node >= 0) {
            this.node = this.plan.trie.child(this.node, d)
            if (this.node >= 0) this.arrive(this.node)
        }
        this.checkImmediate()
    }

    private arrive(node: number) {
        const trie = this.plan.trie
        const flags = trie.flags(node)
        if (flags & FLAG_STRIP) {
            // The number proper starts afresh: an allowed-list prefix that
            // matched the stripped digits ("1" vs 17909) does not count.
            this.numberStart = this.digits.length
            this.openCount = 0
            this.allowed = false
            node = this.plan.outsideRoot
        }
        if (flags & FLAG_SUPERSEDE) this.openCount = 0
        if (flags & FLAG_ALLOW) this.allowed = true
        this.node = node
        // The arrays only grow (to the deepest path's rule count), so no
        // allocation happens per key once a few numbers have been dialled.
        const lists = this.plan.lists
        const li = trie.ruleList(node)
        const end = lists.end(li)
        for (let j = lists.start(li); j < end; ++j) {
            const r = lists.entry(j)
            if (this.openCount === this.openRule.length) {
                this.openRule.push(r)
                this.openUsed.push(0)
            } else {
                this.openRule[this.openCount] = r
                this.openUsed[this.openCount] = 0
            }
            this.openCount++
        }
    }

    private checkImmediate() {
        const rules = this.plan.rules
        for (let k = 0; k < this.openCount; ++k) {
            const r = this.openRule[k]
            if (rules.immediate(r) && this.openUsed[k] >= rules.min(r)) {
                this.immediate = this.openRule[k]
                return
            }
        }
    }

    /** The best rule the digits complete exactly, or -1. */
    exact(): number {
        let best = -1
        let bestRank = 99
        const rules = this.plan.rules
        for (let k = 0; k < this.openCount; ++k) {
            const r = this.openRule[k]
            if (this.openUsed[k] < rules.min(r)) continue
            const rank = rules.rank(r)
            if (rank < bestRank) {
                best = r
                bestRank = rank
            }
        }
        return best
    }

    /** Could more digits still make a (longer) number? */
    more(): boolean {
        if (this.node >= 0 && this.plan.trie.hasChildren(this.node)) return true
        for (let k = 0; k < this.openCount; ++k)
            if (this.openUsed[k] < this.plan.rules.max(this.openRule[k]))
                return true
        return false
    }

    /**
     * What the digits so far are: the category of the best complete rule,
     * else of the widest open one (most digits still to come: "0755" is
     * domestic, although 0755 168xxxxx would be premium).
     */
    category(): Category {
        const e = this.exact()
        const rules = this.plan.rules
        if (e >= 0) return rules.cat(e)
        let best: Category = "invalid"
        let widest = -1
        for (let k = 0; k < this.openCount; ++k) {
            const r = this.openRule[k]
            const left = rules.max(r) - this.openUsed[k]
            if (left > widest || (left === widest && best === "premium")) {
                best = rules.cat(r)
                widest = left
            }
        }
        return best
    }
}
