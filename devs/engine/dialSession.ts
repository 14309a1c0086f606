// One handset's dialling, key by key: collect digits until the number is
// complete under the numbering plan (or the user stops), then judge it
// against the handset's class of service.
// Portable: no @devicescript/* import.

import {
    Category,
    classRank,
    isLongDistance,
    requiredClass,
} from "../numbering/categories"
import { Handset } from "../policy/types"
import { Matcher } from "./matcher"
import { DialPlan } from "./types"

export type BlockCode =
    | "premium"
    | "class"
    | "receiveOnly"
    | "suspended"
    | "invalid"
    | "siteBlocked"
    /** Issue 12: outside working hours (site.hours). */
    | "hours"

export interface Decision {
    action: "dial" | "block"
    category: Category
    /** Digits sent to the line (dial only). */
    dial?: string
    /**
     * The number as the user dialled it, without any outside-line or IP
     * prefix (dial only): what the long-distance register shows.
     */
    number?: string
    reason: string
    /** Which rule refused the call (block only). */
    code?: BlockCode
    /** "digit": final at a key press; "timeout": needed the inter-digit timer. */
    decidedOn: "digit" | "timeout"
    /** Issue 12: dialled after the private-call prefix (site.privatePrefix). */
    private?: boolean
    /** Issue 12: the owner of the authorization code that lifted the call. */
    codeOwner?: string
}

export type TimerKind = "first" | "long" | "short"

export interface Step {
    /** Set once the call is decided; further keys are ignored. */
    decision?: Decision
    /** Otherwise: which timer to (re)start and for how long. */
    timer?: TimerKind
    ms?: number
}

/** Longer than any number in the plan: outside line (2) + IP prefix (5) + 00 + 19 (countryLengths' longest). */
const MAX_DIGITS = 32

/** Used when a port has no handset in the policy: a new handset is internal-only. */
export function unprovisionedHandset(extension: string): Handset {
    return {
        extension,
        department: "",
        allow: "internal",
        receiveOnly: false,
        suspended: false,
        name: "",
    }
}

function label(h: Handset): string {
    return "handset " + h.extension + (h.name ? " (" + h.name + ")" : "")
}

export class DialSession {
    plan: DialPlan
    handset: Handset
    decision: Decision | undefined
    private m: Matcher
    /** Issue 12: "" none; keys of it typed so far; the call is private once all are. */
    private privatePrefix: string
    private pre = ""
    private isPrivate = false

    constructor(plan: DialPlan, handset: Handset, privatePrefix?: string) {
        this.plan = plan
        this.handset = handset
        this.m = new Matcher(plan)
        this.decision = undefined
        this.privatePrefix = privatePrefix || ""
    }

    /** Off-hook: start collecting; the first-digit timer runs. */
    start(): { timer: TimerKind; ms: number } {
        this.m.reset()
        this.decision = undefined
        this.pre = ""
        this.isPrivate = false
        return { timer: "first", ms: this.plan.timers.firstDigitMs }
    }

    /** The number's keys, without a private prefix. */
    digits(): string {
        return this.m.digits
    }

    /** Keys pressed so far (a private prefix too). */
    keyCount(): number {
        return this.m.digits.length + this.pre.length
    }

    /** One key: "0"-"9", "*" or "#". */
    press(key: string): Step {
        if (this.decision) return { decision: this.decision }
        // issue 12: the private prefix first; else the keys held are dialled
        const pp = this.privatePrefix
        const pre = this.pre
        if (pp && !this.isPrivate && !this.m.digits) {
            if (pp.indexOf(pre + key) === 0) {
                this.pre = pre + key
                this.isPrivate = this.pre === pp
                return { timer: "long", ms: this.plan.timers.interDigitMs }
            }
            for (let i = 0; i < pre.length; ++i) this.m.push(pre.charAt(i))
            this.pre = ""
        }
        if (key === "#") return { decision: this.finish("digit") }
        this.m.push(key)
        if (this.m.digits.length > MAX_DIGITS)
            return { decision: this.invalid("digit") }
        if (this.m.immediate >= 0)
            return { decision: this.judge(this.m.immediate, "digit") }
        const exact = this.m.exact()
        if (!this.m.more()) {
            return {
                decision:
                    exact >= 0
                        ? this.judge(exact, "digit")
                        : this.invalid("digit"),
            }
        }
        const t = this.plan.timers
        return exact >= 0
            ? { timer: "short", ms: t.shortMs }
            : { timer: "long", ms: t.interDigitMs }
    }

    /** The running timer expired: decide on what was dialled. */
    expire(): Decision {
        if (this.decision) return this.decision
        return this.finish("timeout")
    }

    private finish(on: "digit" | "timeout"): Decision {
        const exact = this.m.exact()
        return exact >= 0 ? this.judge(exact, on) : this.invalid(on)
    }

    private invalid(on: "digit" | "timeout"): Decision {
        const d = this.m.digits
        const why =
            d.length === 0
                ? "nothing was dialled"
                : this.m.more()
                  ? d + " is incomplete"
                  : d + " is not a number in the numbering plan"
        return this.block("invalid", "invalid", why, on)
    }

    private block(
        cat: Category,
        code: BlockCode,
        reason: string,
        on: "digit" | "timeout"
    ): Decision {
        this.decision = {
            action: "block",
            category: cat,
            reason,
            code,
            decidedOn: on,
        }
        if (this.isPrivate) this.decision.private = true
        return this.decision
    }

    private dial(
        cat: Category,
        digits: string,
        reason: string,
        on: "digit" | "timeout"
    ): Decision {
        this.decision = {
            action: "dial",
            category: cat,
            dial: digits,
            number: this.m.number(),
            reason,
            decidedOn: on,
        }
        if (this.isPrivate) this.decision.private = true
        return this.decision
    }

    /** The class-of-service rules, in order of precedence. */
    private judge(ruleIdx: number, on: "digit" | "timeout"): Decision {
        const rules = this.plan.rules
        const cat = rules.cat(ruleIdx)
        const h = this.handset
        const number = this.m.number()

        if (cat === "emergency")
            return this.dial(
                cat,
                number,
                "emergency number: always allowed, sent unchanged",
                on
            )
        if (rules.code(ruleIdx) === "siteBlocked")
            return this.block(
                cat,
                "siteBlocked",
                number + " is on the site's blocked list",
                on
            )
        if (cat === "premium")
            return this.block(
                cat,
                "premium",
                number +
                    " is a premium information line (声讯台): blocked on every handset",
                on
            )
        if (h.suspended)
            return this.block(
                cat,
                "suspended",
                label(h) + " is suspended (停机): only emergency numbers",
                on
            )
        if (cat === "internal")
            return this.dial(cat, number, "internal extension", on)
        if (h.receiveOnly)
            return this.block(
                cat,
                "receiveOnly",
                label(h) +
                    " is receive-only: only internal extensions and emergency numbers",
                on
            )
        const need = requiredClass(cat)
        if (classRank(h.allow) < classRank(need) && !this.m.allowed)
            return this.block(
                cat,
                "class",
                cat +
                    " calls need class " +
                    need +
                    " or higher; " +
                    label(h) +
                    " has class " +
                    h.allow,
                on
            )
        if (isLongDistance(cat) && this.plan.ipPrefix)
            return this.dial(
                cat,
                this.plan.ipPrefix + number,
                cat + " long distance via IP prefix " + this.plan.ipPrefix,
                on
            )
        return this.dial(
            cat,
            number,
            cat +
                " call" +
                (this.m.allowed ? " (on the site's allowed list)" : ""),
            on
        )
    }
}

/** Decides a whole digit string as if the user then went silent. */
export function decideDigits(
    plan: DialPlan,
    handset: Handset,
    digits: string,
    privatePrefix?: string
): Decision {
    const s = new DialSession(plan, handset, privatePrefix)
    s.start()
    for (let i = 0; i < digits.length; ++i) {
        const step = s.press(digits.charAt(i))
        if (step.decision) return step.decision
    }
    return s.expire()
}
