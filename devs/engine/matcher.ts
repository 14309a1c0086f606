// Incremental matching of dialled digits against the dial plan. Each digit
// moves one step down the trie and advances the few rules still open (at
// most one per prefix of what was dialled), so the work per key does not
// depend on how many extensions or list entries the policy has.
// Portable: no @devicescript/* import.

import { Category } from "../numbering/categories"
import { nationalForm } from "../numbering/chinaPlan"
import { countryLengths } from "../numbering/digits"
import { COUNTRY_KEY_MAX } from "../numbering/countryLengths"
import { FLAG_ALLOW, FLAG_NATIONAL, FLAG_STRIP } from "./trie"
import { DialPlan } from "./types"

export class Matcher {
    plan: DialPlan
    /** Everything dialled so far. */
    digits = ""
    /** Where the number proper starts, after stripped prefixes. */
    numberStart = 0
    /** An allowed-list prefix was passed: the class of service is lifted. */
    allowed = false
    /** An immediate rule (emergency, blocked or premium prefix) completed: its index, else -1. */
    immediate = -1
    /** Current trie node, -1 once the digits left the literal prefixes. */
    private node = -1
    /**
     * After 00 86 (China itself): the national number's first digits, held
     * back until they tell its national form (see chinaPlan.nationalForm);
     * undefined otherwise.
     */
    private held: string | undefined = undefined
    /** The national form has the trunk prefix 0 the user did not dial (00 86 + area code). */
    private trunk = false
    /** Open rules, how many tail digits each has taken, and its min..max: entries 0..openCount-1. */
    private openRule: number[] = []
    private openUsed: number[] = []
    private openMin: number[] = []
    private openMax: number[] = []
    private openCount = 0
    /** Where the digits of the open international rule start (there is at most one). */
    private countryFrom = 0

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
        this.held = undefined
        this.trunk = false
        this.arrive(root === undefined ? this.plan.insideRoot : root)
    }

    /**
     * The number without any outside-line or IP prefix the user dialled, in
     * its national form after 00 86 (0 + area code + subscriber, or the
     * mobile or service number).
     */
    number(): string {
        const n = this.digits.slice(this.numberStart)
        return this.trunk ? "0" + n : n
    }

    push(key: string) {
        this.digits = this.digits + key
        const d = key.charCodeAt(0) - 48
        if (key.length !== 1 || d < 0 || d > 9) {
            // Not a digit: nothing in the plan can match any more.
            this.node = -1
            this.openCount = 0
            this.held = undefined
            return
        }
        if (this.held !== undefined) this.nationalDigit(key)
        else this.step(d)
        this.checkImmediate()
    }

    /** Walks one digit: the open rules, then the trie. */
    private step(d: number) {
        const rules = this.plan.rules
        const country = this.plan.countryRule
        let kept = 0
        for (let k = 0; k < this.openCount; ++k) {
            const r = this.openRule[k]
            const pos = this.openUsed[k]
            if (pos >= this.openMax[k]) continue
            if (!rules.allows(r, pos, d)) continue
            if (kept !== k) {
                this.openRule[kept] = r
                this.openMin[kept] = this.openMin[k]
                this.openMax[kept] = this.openMax[k]
            }
            this.openUsed[kept] = pos + 1
            if (r === country && pos < COUNTRY_KEY_MAX) {
                // The longest calling code + national prefix in the table
                // sets the length (only the first few digits are looked up).
                const lens = countryLengths(this.digits.slice(this.countryFrom))
                if (lens >= 0) {
                    this.openMin[kept] = Math.floor(lens / 100)
                    this.openMax[kept] = lens % 100
                }
            }
            kept++
        }
        this.openCount = kept
        if (this.node >= 0) {
            this.node = this.plan.trie.child(this.node, d)
            if (this.node >= 0) this.arrive(this.node)
        }
    }

    /** A digit of the national number after 00 86. */
    private nationalDigit(key: string) {
        const held = (this.held ?? "") + key
        const form = nationalForm(held)
        if (form === "") {
            this.held = held
            return
        }
        this.held = undefined
        if (form === undefined) {
            this.node = -1
            return
        }
        // Walk the national form from the public plan's root (not its own
        // rules: the bare local number is never what follows 00 86).
        this.trunk = form.length > held.length
        this.node = this.plan.outsideRoot
        for (let i = 0; i < form.length; ++i) this.step(form.charCodeAt(i) - 48)
    }

    private arrive(node: number) {
        const trie = this.plan.trie
        const flags = trie.flags(node)
        if (flags & (FLAG_STRIP | FLAG_NATIONAL)) {
            // The number proper starts afresh: an allowed-list prefix that
            // matched the stripped digits ("1" vs 17909) does not count.
            this.numberStart = this.digits.length
            this.openCount = 0
            this.allowed = false
            this.trunk = false
            if (flags & FLAG_NATIONAL) {
                // 00 86: a national number follows (see nationalDigit).
                this.held = ""
                this.node = -1
                return
            }
            node = this.plan.outsideRoot
        }
        if (flags & FLAG_ALLOW) this.allowed = true
        this.node = node
        // The arrays only grow (to the deepest path's rule count), so no
        // allocation happens per key once a few numbers have been dialled.
        const rules = this.plan.rules
        const lists = this.plan.lists
        const li = trie.ruleList(node)
        const end = lists.end(li)
        for (let j = lists.start(li); j < end; ++j) {
            const r = lists.entry(j)
            const k = this.openCount
            if (k === this.openRule.length) {
                this.openRule.push(r)
                this.openUsed.push(0)
                this.openMin.push(0)
                this.openMax.push(0)
            }
            this.openRule[k] = r
            this.openUsed[k] = 0
            this.openMin[k] = rules.min(r)
            this.openMax[k] = rules.max(r)
            if (r === this.plan.countryRule)
                this.countryFrom = this.digits.length
            this.openCount++
        }
    }

    private checkImmediate() {
        const rules = this.plan.rules
        for (let k = 0; k < this.openCount; ++k) {
            const r = this.openRule[k]
            if (rules.immediate(r) && this.openUsed[k] >= this.openMin[k]) {
                this.immediate = r
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
            if (this.openUsed[k] < this.openMin[k]) continue
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
        if (this.held !== undefined) return true
        if (this.node >= 0 && this.plan.trie.hasChildren(this.node)) return true
        for (let k = 0; k < this.openCount; ++k)
            if (this.openUsed[k] < this.openMax[k]) return true
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
            const left = this.openMax[k] - this.openUsed[k]
            if (left > widest || (left === widest && best === "premium")) {
                best = rules.cat(this.openRule[k])
                widest = left
            }
        }
        return best
    }
}
