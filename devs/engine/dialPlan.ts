// Compiles a validated policy into the dial plan the engine walks per key:
// a packed trie of literal prefixes, each node pointing to the numbering
// rules whose literal part ends there. A rule then takes a bounded number
// of further digits (its "tail"), optionally constrained per position.
// Portable: no @devicescript/* import.

import {
    AREA_CODES_7,
    AREA_CODES_7_OR_8,
    AREA_CODES_8,
} from "../numbering/areaCodes"
import {
    splitPattern,
    subscriberLengths,
    WordCursor,
    wordCount,
} from "../numbering/digits"
import { Category } from "../numbering/categories"
import {
    AREA_SERVICE,
    BEIJING_EMERGENCY,
    CHINA_CALLING_CODE,
    INTERNATIONAL_ANY,
    IP_PREFIXES,
    MOBILE_BLOCKS,
    SERVICE_NUMBERS,
    TOLLFREE_NUMBERS,
} from "../numbering/chinaPlan"
import { Policy } from "../policy/types"
import { countEntries, ExtensionReader } from "../policy/extensionRanges"
import { ListTable, RuleTable, RuleTableBuilder } from "./ruleTable"
import { DialPlan } from "./types"
import { Matcher } from "./matcher"
import { FLAG_ALLOW, FLAG_NATIONAL, FLAG_STRIP, PackedTrie } from "./trie"
import { cut } from "../text/cut"

/** Space-separated "prefix min max" entries, as in chinaPlan.ts. */
function eachSpec(
    specs: string[],
    fn: (prefix: string, min: number, max: number) => void
) {
    for (const s of specs) {
        const p = cut(s, " ")
        fn(p[0], parseInt(p[1]), parseInt(p[2]))
    }
}

/** Per-position digit sets for a literal string, for rules matched in a tail. */
function literalPattern(digits: string): string[] {
    const pat: string[] = []
    for (let i = 0; i < digits.length; ++i) pat.push(digits.charAt(i))
    return pat
}

class PlanBuilder {
    trie: PackedTrie
    rules = new RuleTableBuilder()
    /** Rule list i as a key "3,7,12" ("" = none): small strings, not arrays. */
    lists: string[] = [""]
    private listIndex: any = {}

    constructor(capacity: number, spare?: Buffer) {
        this.trie = new PackedTrie(capacity, spare)
        this.listIndex[""] = 0
    }

    /** Attaches rules to the node at `root` + `digits`, next to any it has. */
    add(root: number, digits: string, ruleIdxs: number[]) {
        const node = this.trie.insert(root, digits)
        let key = this.lists[this.trie.ruleList(node)]
        for (const r of ruleIdxs)
            if (("," + key + ",").indexOf("," + r + ",") < 0)
                key = key ? key + "," + r : "" + r
        // Identical lists are stored once: thousands of extensions share one.
        let idx = this.listIndex[key]
        if (idx === undefined) {
            idx = this.lists.length
            this.lists.push(key)
            this.listIndex[key] = idx
        }
        this.trie.setRuleList(node, idx)
    }

    /** `plan` with the rules and lists so far (for lookups while compiling). */
    view(plan: DialPlan): DialPlan {
        return {
            trie: this.trie,
            insideRoot: plan.insideRoot,
            outsideRoot: plan.outsideRoot,
            rules: this.rules.table(),
            countryRule: plan.countryRule,
            lists: new ListTable(this.lists),
            ipPrefix: plan.ipPrefix,
            areaCode: plan.areaCode,
            timers: plan.timers,
            version: plan.version,
            handsets: plan.handsets,
        }
    }

    flag(root: number, digits: string, f: number) {
        this.trie.addFlags(this.trie.insert(root, digits), f)
    }
}

/**
 * Work items small enough for one VM time slice (see PlanCompiler); one
 * that returns true has more to do and is run again.
 */
type Job = () => boolean | void

function job(
    fn: (from: number, to: number) => void,
    from: number,
    to: number
): Job {
    return () => fn(from, to)
}

/** Queues fn over 0..n in slices of `size`. */
function sliced(
    jobs: Job[],
    n: number,
    size: number,
    fn: (from: number, to: number) => void
) {
    for (let i = 0; i < n; i += size)
        jobs.push(job(fn, i, i + size < n ? i + size : n))
}

/**
 * Builds the dial plan for a policy in bounded steps, so that the VM, which
 * stops a fiber that runs too long without yielding, can `await` between
 * them. `boardHandsets` limits the handset records kept (a board keeps only
 * its own); every extension of the site is still an internal number.
 */
export class PlanCompiler {
    private b: PlanBuilder
    private jobs: Job[] = []
    private next = 0
    private plan: DialPlan

    /**
     * `siteExtensions` (space-separated) lists more internal numbers than
     * policy.handsets has: a board's policy carries the records of its own
     * handsets only, and the site's other extensions as one compact string.
     */
    constructor(
        policy: Policy,
        boardHandsets?: string[],
        siteExtensions?: string,
        /** The trie buffer of a plan no longer used (PackedTrie). */
        spare?: Buffer
    ) {
        const site = policy.site
        // Sized up front so the trie is not copied while growing (on a
        // 64 KB heap a doubling needs three times the room): ~570 nodes for
        // the numbering plan, ~1.12 per extension (1000 4-digit ones: 1111).
        const extCount =
            policy.handsets.length +
            (siteExtensions ? countEntries(siteExtensions) : 0)
        const b = new PlanBuilder(640 + Math.ceil(extCount * 1.15), spare)
        this.b = b
        const jobs = this.jobs
        const inside = b.trie.addRoot()
        const outside = site.outsideLinePrefix ? b.trie.addRoot() : inside
        const none: string[] = []
        const ownAc = site.areaCode.slice(1)
        // a validated policy has a known area code
        const ownLens = subscriberLengths(ownAc) as number[]
        const plan: DialPlan = {
            trie: b.trie,
            insideRoot: inside,
            outsideRoot: outside,
            // packed by the last job (meanwhile PlanBuilder.view())
            rules: undefined as unknown as RuleTable,
            countryRule: -1,
            lists: undefined as unknown as ListTable,
            ipPrefix: site.ipPrefix,
            areaCode: site.areaCode,
            timers: site.timers,
            version: policy.version,
            handsets: [],
        }
        this.plan = plan

        // Inside: extensions, emergency, and the way out.
        const internal = [b.rules.add("internal", 0, 0, none, false, "")]
        const handsets = policy.handsets
        sliced(jobs, handsets.length, 50, (from, to) => {
            for (let i = from; i < to; ++i) {
                const h = handsets[i]
                b.add(inside, h.extension, internal)
                if (!boardHandsets || boardHandsets.indexOf(h.extension) >= 0)
                    plan.handsets.push(h)
            }
        })
        if (siteExtensions) {
            const exts = new ExtensionReader(siteExtensions)
            jobs.push(() => {
                for (let i = 0; i < 50; ++i) {
                    const prefix = exts.next()
                    if (prefix === undefined) return false
                    const free = exts.free
                    b.add(
                        inside,
                        prefix,
                        free
                            ? [
                                  b.rules.add(
                                      "internal",
                                      free,
                                      free,
                                      none,
                                      false,
                                      ""
                                  ),
                              ]
                            : internal
                    )
                }
                return true
            })
        }
        // Each part of the plan is a job of its own: see step().
        const premiumInArea: number[] = []
        jobs.push(() => {
            // Emergency numbers go out the moment they are complete, like at the
            // exchange: no timer, even where a longer number could follow (999
            // in Beijing, an allowed or blocked entry starting 110).
            const emergency = [b.rules.add("emergency", 0, 0, none, true, "")]
            for (const e of site.emergency) {
                b.add(inside, e, emergency)
                if (outside !== inside) b.add(outside, e, emergency)
            }
            if (site.outsideLinePrefix)
                b.flag(inside, site.outsideLinePrefix, FLAG_STRIP)

            // A prefix the user dials from habit (17909 ...) is stripped, then the
            // number is classified afresh; the site's own prefix is added back later.
            for (const p of IP_PREFIXES) b.flag(outside, p, FLAG_STRIP)
            if (site.ipPrefix) b.flag(outside, site.ipPrefix, FLAG_STRIP)

            // Local numbers: first digit 2-9.
            b.add(outside, "", [
                b.rules.add(
                    "local",
                    ownLens[0],
                    ownLens[1],
                    ["23456789"],
                    false,
                    ""
                ),
            ])

            // Premium: bare, and after any area code.
            for (const p of site.premiumPrefixes) {
                const sp = splitPattern(p)
                const len = sp.literal.length + sp.anyCount
                // Without x's the entry is a prefix: refused as soon as it is dialled.
                const immediate = sp.anyCount === 0
                b.add(outside, sp.literal, [
                    b.rules.add(
                        "premium",
                        sp.anyCount,
                        sp.anyCount,
                        none,
                        immediate,
                        ""
                    ),
                ])
                premiumInArea.push(
                    b.rules.add(
                        "premium",
                        len,
                        len,
                        literalPattern(sp.literal),
                        immediate,
                        ""
                    )
                )
            }
        })

        // Mobiles: 11 digits; with 0 in front they are long distance.
        const mobile = [b.rules.add("mobile", 8, 8, none, false, "")]
        const mobile0 = [b.rules.add("domestic", 8, 8, none, false, "")]
        const mobiles = new WordCursor(MOBILE_BLOCKS)
        sliced(jobs, wordCount(MOBILE_BLOCKS), 20, (from, to) => {
            for (let i = from; i < to; ++i) {
                const m = mobiles.next()
                b.add(outside, m, mobile)
                b.add(outside, "0" + m, mobile0)
            }
        })

        // Area codes: 0 + code + subscriber; the own code is a local call.
        // A subscriber number starts with 2-9 (0 is the trunk prefix, 1 starts
        // the short numbers); what follows an area code with a 1 is that
        // city's service number (AREA_SERVICE) or a premium line.
        const areaPat = ["23456789"]
        const areaRules = (cat: Category, lens: number[]) => {
            const list = [
                b.rules.add(cat, lens[0], lens[1], areaPat, false, ""),
            ]
            eachSpec(AREA_SERVICE, (prefix, min, max) => {
                const len = prefix.length
                const svc: Category = cat === "local" ? "service" : cat
                list.push(
                    b.rules.add(
                        svc,
                        len + min,
                        len + max,
                        literalPattern(prefix),
                        false,
                        ""
                    )
                )
            })
            for (const r of premiumInArea) list.push(r)
            return list
        }
        const addArea = (codes: string, lens: number[]) => {
            // The lists need the premium rules, made by an earlier job.
            let domestic: number[] | undefined = undefined
            let local: number[] | undefined = undefined
            const words = new WordCursor(codes)
            sliced(jobs, wordCount(codes), 30, (from, to) => {
                if (!domestic || !local) {
                    domestic = areaRules("domestic", lens)
                    local = areaRules("local", lens)
                }
                for (let i = from; i < to; ++i) {
                    const ac = words.next()
                    b.add(outside, "0" + ac, ac === ownAc ? local : domestic)
                }
            })
        }
        addArea(AREA_CODES_8, [8, 8])
        addArea(AREA_CODES_7, [7, 7])
        addArea(AREA_CODES_7_OR_8, [7, 8])

        jobs.push(() => {
            // International: the called country's lengths are looked up as
            // its calling code is dialled (Matcher), not stored in the trie.
            const intl = cut(INTERNATIONAL_ANY, " ")
            const anyCountry = b.rules.add(
                "international",
                parseInt(intl[0]),
                parseInt(intl[1]),
                ["123456789"],
                false,
                ""
            )
            plan.countryRule = anyCountry
            b.add(outside, "00", [anyCountry])
            // 00 86 is China itself: the national number that follows is
            // matched, sent and billed as if dialled without it.
            b.flag(outside, "00" + CHINA_CALLING_CODE, FLAG_NATIONAL)

            eachSpec(SERVICE_NUMBERS, (p, min, max) =>
                b.add(outside, p, [
                    b.rules.add("service", min, max, none, false, ""),
                ])
            )
            eachSpec(TOLLFREE_NUMBERS, (p, min, max) =>
                b.add(outside, p, [
                    b.rules.add("tollfree", min, max, none, false, ""),
                ])
            )

            for (const a of site.allowed) b.flag(outside, a, FLAG_ALLOW)
        })

        // Blocked prefixes are refused the moment they are complete; their
        // category is what the plan says of the number so far, so they go in last.
        jobs.push(() => {
            for (const p of site.blocked)
                b.add(outside, p, [
                    b.rules.add(
                        categoryOfPrefix(b.view(plan), p),
                        0,
                        0,
                        none,
                        true,
                        "siteBlocked"
                    ),
                ])
            b.trie.trim()
        })
        jobs.push(() => {
            plan.rules = b.rules.finish()
            plan.lists = new ListTable(b.lists)
        })
    }

    /** Runs one bounded piece of work; true once the plan is complete. */
    step(): boolean {
        if (this.next < this.jobs.length && !this.jobs[this.next]()) this.next++
        return this.next >= this.jobs.length
    }

    result(): DialPlan {
        while (!this.step()) {}
        return this.plan
    }
}

/** Builds the dial plan in one go (host side, or small policies). */
export function compileDialPlan(
    policy: Policy,
    boardHandsets?: string[],
    siteExtensions?: string
): DialPlan {
    return new PlanCompiler(policy, boardHandsets, siteExtensions).result()
}

/**
 * What the plan makes of a digit string that may be only a prefix: the
 * category of the best rule complete or still open after it.
 */
export function categoryOfPrefix(plan: DialPlan, digits: string): Category {
    const m = new Matcher(plan)
    m.reset(plan.outsideRoot)
    for (let i = 0; i < digits.length; ++i) m.push(digits.charAt(i))
    return m.category()
}
