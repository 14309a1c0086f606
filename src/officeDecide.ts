// `dialguard decide` with the issue 12 office rules (private prefix, working
// hours, authorization codes): the call is played through the firmware's
// own HandsetPort (devs/phone/handsetPort.ts) on a fake clock, so the CLI
// decides exactly as the board does.

import { Decision } from "../devs/engine/dialSession"
import { DialPlan } from "../devs/engine/types"
import {
    CHINA_RING,
    CODE_PROMPT_MS,
    HandsetPort,
    PortPolicy,
} from "../devs/phone/handsetPort"
import { hoursAt } from "../devs/policy/officeRules"
import { findCode } from "./fleet/authCodes"
import { Handset, Policy } from "../devs/policy/types"

export interface OfficeOptions {
    /** Unix seconds the board's clock says; 0 = not known yet. */
    unix: number
    /** The board key (for codes) and the code keyed after a refusal. */
    key?: Buffer
    code?: string
}

export interface OfficeDecision extends Decision {
    /** A refusal a code could lift: the handset played the prompt tone. */
    codePrompt?: boolean
}

/** Does the policy use any office rule decide must play through the port? */
export function usesOfficeRules(policy: Policy): boolean {
    const s = policy.site
    return !!(s.hours || s.privatePrefix || policy.authCodes?.length)
}

export function decideWithRules(
    policy: Policy,
    plan: DialPlan,
    handset: Handset,
    digits: string,
    o: OfficeOptions
): OfficeDecision {
    let decision: OfficeDecision | undefined
    let prompted = false
    const port = new HandsetPort(
        handset.extension,
        {
            tone: () => {},
            ring: () => {},
            dial: () => {},
            answer: () => {},
            hangUp: () => {},
            redirect: () => {},
            log: () => {},
        },
        {
            outgoing: (_e, _c, _n, _s, d) => (decision = d),
            blocked: (_e, d) => (decision = d),
            incoming: () => {},
            callEnded: () => {},
        },
        CHINA_RING
    )
    const codes = policy.authCodes ?? []
    const key = o.key
    const pp: PortPolicy = {
        plan,
        handset,
        ringsBeforeForward: policy.site.ringsBeforeForward,
        forwardChain: () => [],
        site: policy.site,
    }
    if (codes.length && key) pp.checkCode = code => findCode(codes, key, code)
    else if (codes.length) pp.checkCode = () => undefined
    const hours = policy.site.hours
    if (hours) pp.hoursAt = () => hoursAt(hours, o.unix)
    port.setPolicy(pp)
    let t = 0
    port.offHook(t)
    for (const k of digits) port.key(k, (t += 10))
    if (port.state === "dialling") port.tick((t += 10 * 60000))
    if (port.state === "code") {
        prompted = true
        for (const k of (o.code ?? "") + "#") port.key(k, (t += 10))
        if (port.state === "code") port.tick((t += CODE_PROMPT_MS))
    }
    // a call placed: connected and ended to read its decision
    port.remoteAnswered(t)
    port.onHook(t)
    const d: OfficeDecision = { ...(decision as Decision) }
    if (prompted && d.action === "block") d.codePrompt = true
    return d
}
