"""The ``design`` verb: ``python -m hamstudy design fisher ...`` and ``design logrank ...``.

numpy/scipy are imported inside the handlers so that ``--help`` stays fast.
"""

from __future__ import annotations

import argparse
import json

__all__ = ["add_parser", "fisher_handler", "logrank_handler"]


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``design`` (with sub-verbs ``fisher`` and ``logrank``) on the verb sub-parsers."""
    p = subparsers.add_parser(
        "design",
        help="plan a trial: exact Fisher sample size, or log-rank events and athletes",
        description="Plan the next trial: exact sample size for Fisher's test, or events and athletes for a log-rank test.",
    )
    sub = p.add_subparsers(dest="design_command", metavar="DESIGN")
    sub.required = True

    f = sub.add_parser(
        "fisher",
        help="smallest athletes per arm for exact Fisher power, e.g. --p1 0.55 --p2 0.05",
        description=(
            "Smallest arm sizes whose exact power (Fisher's exact test) reaches --power, and the size from "
            "which power stays above it (exact power is saw-toothed in n)."
        ),
    )
    f.add_argument("--p1", type=float, required=True, help="event probability in arm 1, e.g. 0.55")
    f.add_argument("--p2", type=float, required=True, help="event probability in arm 2, e.g. 0.05")
    f.add_argument("--power", type=float, default=0.8, help="target power (default 0.8)")
    f.add_argument("--alpha", type=float, default=0.05, help="significance level (default 0.05)")
    f.add_argument("--ratio", type=float, default=1.0, help="n2 / n1 (default 1)")
    f.add_argument("--alternative", default="two-sided", choices=("two-sided", "less", "greater"),
                   help="alternative hypothesis (default two-sided)")
    f.add_argument("--json", action="store_true", help="print the result as JSON")
    f.set_defaults(func=fisher_handler)

    g = sub.add_parser(
        "logrank",
        help="events (Schoenfeld) and athletes (Lachin-Foulkes) for a log-rank test",
        description=(
            "Events needed for a two-sided log-rank test (Schoenfeld) and athletes per arm from accrual, follow-up "
            "and the control arm's median (Lachin-Foulkes by default). Times in any unit, used consistently."
        ),
    )
    g.add_argument("--hazard-ratio", type=float, required=True, help="hazard in arm 2 over arm 1, e.g. 0.3")
    rate = g.add_mutually_exclusive_group(required=True)
    rate.add_argument("--control-median", type=float, help="median time to reinjury in arm 1 (control)")
    rate.add_argument("--control-rate", type=float, help="hazard rate in arm 1 (instead of --control-median)")
    g.add_argument("--accrual", type=float, default=0.0, help="length of uniform recruitment (default 0)")
    g.add_argument("--follow-up", type=float, required=True, help="follow-up after the end of accrual")
    g.add_argument("--power", type=float, default=0.8, help="target power (default 0.8)")
    g.add_argument("--alpha", type=float, default=0.05, help="two-sided significance level (default 0.05)")
    g.add_argument("--allocation", type=float, default=0.5, help="fraction randomised to arm 1 (default 0.5)")
    g.add_argument("--dropout-rate", type=float, default=0.0, help="exponential dropout hazard per time unit (default 0)")
    g.add_argument("--method", default="lachin-foulkes", choices=("lachin-foulkes", "schoenfeld", "freedman"),
                   help="events-to-athletes method (default lachin-foulkes)")
    g.add_argument("--simulate", type=int, default=0, metavar="N_SIMS",
                   help="also simulate the power of the design found, with N_SIMS trials")
    g.add_argument("--seed", type=int, default=None, help="seed for --simulate")
    g.add_argument("--json", action="store_true", help="print the result as JSON")
    g.set_defaults(func=logrank_handler)
    return p


def fisher_handler(args: argparse.Namespace) -> int:
    from hamstudy.design.fisher_power import sample_size_fisher

    res = sample_size_fisher(
        args.p1, args.p2, power=args.power, alpha=args.alpha, ratio=args.ratio, alternative=args.alternative
    )
    record = {
        "p1": args.p1, "p2": args.p2, "target_power": args.power, "alpha": args.alpha, "ratio": args.ratio,
        "alternative": args.alternative, "test": "Fisher's exact test (exact power)", **res.as_dict(),
    }
    if args.json:
        print(json.dumps(record, indent=2))
        return 0
    print(f"Fisher's exact test, {args.alternative}, alpha = {args.alpha:g}: p1 = {args.p1:g} vs p2 = {args.p2:g}")
    print(f"  smallest size with power >= {args.power:g}: n1 = {res.n1}, n2 = {res.n2} "
          f"(total {res.n1 + res.n2}), exact power {res.achieved_power:.4f}")
    if res.n1_stable != res.n1:
        print(f"  power stays >= {args.power:g} from n1 = {res.n1_stable}, n2 = {res.n2_stable} "
              f"(checked up to n1 = {res.search_limit}); exact power there {res.stable_power:.4f} at worst")
    else:
        print(f"  power stays >= {args.power:g} for every larger n1 up to {res.search_limit}")
    return 0


def logrank_handler(args: argparse.Namespace) -> int:
    from hamstudy.design.logrank_size import sample_size_logrank

    if args.simulate < 0:
        raise ValueError(f"--simulate must be a non-negative number of trials; got {args.simulate}")
    res = sample_size_logrank(
        args.hazard_ratio, control_median=args.control_median, control_rate=args.control_rate,
        accrual=args.accrual, follow_up=args.follow_up, alpha=args.alpha, power=args.power,
        allocation=args.allocation, dropout_rate=args.dropout_rate, method=args.method,
    )
    record = {
        "hazard_ratio": res.hazard_ratio, "control_rate": res.control_rate, "accrual": res.accrual,
        "follow_up": res.follow_up, "alpha": res.alpha, "target_power": res.power, "allocation": res.allocation,
        "dropout_rate": res.dropout_rate, "method": res.method, "events": res.events, "n1": res.n1, "n2": res.n2,
        "total": res.total, "expected_events": res.expected_events,
        "event_probability1": res.event_probability1, "event_probability2": res.event_probability2,
    }
    sim = None
    if args.simulate:
        from hamstudy.design.logrank_sim import simulate_logrank_power
        import math

        median = args.control_median if args.control_median is not None else math.log(2.0) / res.control_rate
        sim = simulate_logrank_power(
            res.n1, res.n2, res.hazard_ratio, control_median=median, follow_up=res.follow_up,
            accrual=res.accrual, dropout_rate=res.dropout_rate, n_sims=args.simulate, alpha=res.alpha, seed=args.seed,
        )
        record.update(simulated_power=sim.power, simulated_mc_se=sim.mc_se, n_sims=sim.n_sims)
    if args.json:
        print(json.dumps(record, indent=2))
        return 0
    print(f"Log-rank test, two-sided alpha = {res.alpha:g}, power {res.power:g}, hazard ratio {res.hazard_ratio:g}")
    print(f"  events needed: {res.events}  ({res.method})")
    print(f"  athletes: n1 = {res.n1}, n2 = {res.n2}, total {res.total} "
          f"(accrual {res.accrual:g}, follow-up {res.follow_up:g}; P(event) {res.event_probability1:.3f} "
          f"in arm 1, {res.event_probability2:.3f} in arm 2)")
    if sim is not None:
        print(f"  simulated power of this design: {sim.power:.4f} (Monte Carlo SE {sim.mc_se:.4f}, {sim.n_sims} trials)")
    return 0
