// From policy text to what the ports enforce, in VM-sized steps.
// Portable: no @devicescript/* import (the caller passes a pause function
// that yields to the VM scheduler).

import { PlanCompiler } from "../engine/dialPlan"
import { unprovisionedHandset } from "../engine/dialSession"
import { DialPlan } from "../engine/types"
import { forwardChain } from "../phone/forwarding"
import { PortPolicy } from "../phone/handsetPort"
import { Handset, Policy } from "../policy/types"
import { forwardChainIn } from "../policy/boardPolicy"
import { guardPolicy } from "../policy/guard"
import { policyFromLines } from "../policy/policyLines"
import { DEFAULT_TIMERS } from "../policy/validate"
import { DEFAULT_EMERGENCY, DEFAULT_PREMIUM } from "../numbering/chinaPlan"

export interface LoadedPolicy {
    policy: Policy
    plan: DialPlan
}

/**
 * Parses (the text in its pieces: policyFromLines) and validates; throws
 * Error with the first problems listed.
 */
export async function checkPolicyText(
    text: string[],
    pause: () => Promise<void>
): Promise<Policy> {
    let raw: any
    try {
        raw = policyFromLines(text)
    } catch (e) {
        throw new Error("policy is not valid JSON")
    }
    await pause()
    const v = guardPolicy(raw)
    if (!v.policy) {
        const shown = v.errors.slice(0, 3).join("; ")
        throw new Error(
            "invalid policy: " +
                shown +
                (v.errors.length > 3
                    ? " (+" + (v.errors.length - 3) + " more)"
                    : "")
        )
    }
    return v.policy
}

/** Compiles a validated policy into the plan the ports enforce. */
export async function compile(
    policy: Policy,
    ports: string[],
    pause: () => Promise<void>,
    spare?: Buffer
): Promise<LoadedPolicy> {
    await pause()
    const c = new PlanCompiler(policy, ports, policy.extensions, spare)
    while (!c.step()) await pause()
    // only the compiler reads them: up to ~1 KB of a large site's heap
    policy.extensions = undefined
    return { policy, plan: c.result() }
}

/**
 * With no valid policy the board fails closed: its own ports are internal
 * extensions of class internal, so only calls between them and emergency
 * numbers go out.
 */
export async function failClosedPolicy(
    ports: string[],
    pause: () => Promise<void>
): Promise<LoadedPolicy> {
    const handsets: Handset[] = []
    for (const ext of ports) if (ext) handsets.push(unprovisionedHandset(ext))
    for (const h of handsets) h.department = "none"
    const policy: Policy = {
        version: 0,
        site: {
            name: "(no policy)",
            areaCode: "010",
            ipPrefix: "",
            emergency: DEFAULT_EMERGENCY,
            premiumPrefixes: DEFAULT_PREMIUM,
            outsideLinePrefix: "",
            ringsBeforeForward: 3,
            blocked: [],
            allowed: [],
            timers: DEFAULT_TIMERS,
        },
        departments: [{ id: "none", name: "", floor: 0, x: 0, y: 0 }],
        handsets,
    }
    return await compile(policy, ports, pause)
}

/** What port `ext` enforces under `loaded`. A port not in the policy is a new handset: internal only. */
export function portPolicy(loaded: LoadedPolicy, ext: string): PortPolicy {
    let handset: Handset | undefined = undefined
    for (const h of loaded.plan.handsets) if (h.extension === ext) handset = h
    const policy = loaded.policy
    return {
        plan: loaded.plan,
        handset: handset || unprovisionedHandset(ext),
        ringsBeforeForward: policy.site.ringsBeforeForward,
        site: policy.site,
        // a board policy brings the chains computed from the whole site
        forwardChain: (from: string) =>
            policy.forward
                ? forwardChainIn(policy.forward, from)
                : forwardChain(policy, from),
    }
}
