"""Vectorised pricing of one category: an upper bound and a best column per subproblem.

With duals pi_o (one-lot rows), mu_s (capacity rows), nu_p (formation rows) and
rho_op (an organization's own formation limit, rule 8b) the reduced cost of a lot
G in subproblem (s, k, sigma, L) is

    rc(G) = sum_{o in G} w_o - C,
    w_o = M d_o (b_o - h_os - pi_k) - coordination_cost - pi_o - mu_s d_o
          - sum_{p=sigma}^{sigma+L-1} rho_op,
    C   = fixed_cost + M alpha_k + sum_{p=sigma}^{sigma+L-1} nu_p,

to be maximised over eligible G with n_lo <= |G| <= n_hi and lo_k <= V(G) <= hi_k.

- Without the volume window, the best G takes the top-n eligible w_o with
  n = clip(#positive, n_lo, n_hi) (prefix sums of a descending sort are concave).
  If that set's volume lies in the window it is optimal: upper bound = value.
- Otherwise we relax the volume window by a multiplier theta (signed: theta > 0
  prices the lower limit, theta < 0 the upper one):
      rc(G) <= max_{n_lo<=|G|<=n_hi} sum_{o in G} (w_o + theta d_o) - theta v_ref - C
  for every theta (v_ref = lo_k if theta > 0, hi_k if theta < 0); each theta tried
  gives a valid upper bound, the minimum is kept, and a bisection on the sign of
  the volume violation drives theta towards the Lagrangian dual optimum (the LP
  bound of this two-sided knapsack with a cardinality window). The maximisers
  met on the way that satisfy the window are actual columns (lower bounds).
- A subproblem whose cheap bound sum_o max(0, w_o) - C is <= 0 is pruned. The
  cheap bound is computed for all subproblems at once from prefix sums (members
  in ready order) per (piece, live weight) group, without the rho charges; the
  few organizations with an own limit then have their charge taken off per row
  (max(0, v) - max(0, v - r) for a value v and a charge r >= 0).
- Partial pricing: per round only the rows with the largest cheap bounds, up to
  a budget of rows x organizations, are solved further; the others keep their
  cheap bound, which is valid, only weaker.
- Exact cases: a count window of one member (best single member inside the
  volume window) and subproblems with at most 10 eligible members (all subsets).

All of it is numpy over (subproblems x organizations) blocks; no Python loop
over organizations.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from consortia.solvers.lots.data import CategoryData
from consortia.solvers.lots.subproblems import Subproblems

BLOCK_ENTRIES = 1_500_000
ENTRY_BUDGET = 6_000_000  # rows x organizations solved per category and round
ENUMERATE_UP_TO = 10  # subproblems with at most this many eligible members are enumerated


@dataclass
class PricingResult:
    ub: np.ndarray  # valid upper bound on rc in each subproblem (-inf: none)
    lb: np.ndarray  # rc of the best actual member set found (-inf: none)
    theta: np.ndarray  # multiplier at which that set was found


class CategoryPricing:
    """Dual-independent arrays of a category, and the pricing of its subproblems."""

    def __init__(self, data: CategoryData, subs: Subproblems):
        self.data = data
        self.subs = subs
        self.value = np.stack([p.value for p in data.pieces])  # P x N
        self.elig = np.stack([p.eligible for p in data.pieces])  # P x N
        self.theta_hint = np.zeros(len(subs))
        self.exact_sets: dict[int, np.ndarray] = {}
        self.partial = False  # whether the last round solved only part of the rows
        self.last_own: np.ndarray | None = None
        # rows sharing (piece, live weight) share their member values up to the
        # readiness mask: the cheap bound comes from prefix sums in ready order
        keys = np.stack([subs.piece, np.round(subs.weight, 12)], axis=1) if len(subs) else None
        if keys is not None:
            uniq, self.group = np.unique(keys, axis=0, return_inverse=True)
            self.group = self.group.ravel()
            self.group_piece = uniq[:, 0].astype(np.int64)
            self.group_weight = uniq[:, 1]
            self.group_offer = np.array([data.pieces[j].offer for j in self.group_piece])
        self.by_ready = np.argsort(data.ready, kind="stable")
        self.ready_count = np.searchsorted(data.ready[self.by_ready], subs.sigma, side="right")
        # the subproblems of each forming window (sigma, L): they share their rule-8b
        # charges, which are 0 for most limited organizations at any duals
        windows = np.stack([subs.sigma, subs.lead], axis=1) if len(subs) else None
        self.windows: list[tuple[int, int, np.ndarray]] = []
        if windows is not None:
            keys, which = np.unique(windows, axis=0, return_inverse=True)
            order = np.argsort(which.ravel(), kind="stable")
            bounds = np.searchsorted(which.ravel()[order], np.arange(len(keys) + 1))
            for k, (sigma, lead) in enumerate(keys.tolist()):
                if lead > 0:
                    self.windows.append((sigma, lead, order[bounds[k] : bounds[k + 1]]))

    # -- building blocks ---------------------------------------------------
    def own_charge(self, rows: np.ndarray, own: np.ndarray) -> np.ndarray:
        """Rule-8b charge of each limited organization (columns: ``data.capped``) in
        the given subproblems: sum of its rho over the forming periods
        sigma..sigma+L-1, from the cumulative duals `own` (``LotMaster.own_duals``)."""
        s = self.subs
        last = s.sigma[rows] + s.lead[rows] - 1
        return (own[:, last] - own[:, s.sigma[rows] - 1]).T

    def _weights(self, rows: np.ndarray, beta: np.ndarray, own: np.ndarray | None) -> np.ndarray:
        s = self.subs
        w = s.weight[rows, None] * self.value[s.piece[rows]] - beta[s.offer[rows]]
        if own is not None:
            w[:, self.data.capped] -= self.own_charge(rows, own)
        mask = self.elig[s.piece[rows]] & (self.data.ready[None, :] <= s.sigma[rows, None])
        w[~mask] = -np.inf
        return w

    def _own_correction(self, beta: np.ndarray, own: np.ndarray) -> np.ndarray:
        """Per subproblem, what the rho charges take off the cheap bound
        sum_o max(0, w_o): sum over the limited members (eligible, ready) of
        max(0, v_o) - max(0, v_o - r_o), v_o the value before the charge r_o. Only
        the organizations whose charge in a window is not 0 are evaluated, for the
        subproblems of that window (a term is 0 where r_o is)."""
        s, data = self.subs, self.data
        out = np.zeros(len(s))
        for sigma, lead, rows in self.windows:
            charge = _window_charge(own, sigma, lead)
            charged = np.nonzero(charge != 0.0)[0]
            if not len(charged):
                continue
            cols = data.capped[charged]
            value, elig = self.value[:, cols], self.elig[:, cols]
            ready = data.ready[cols] <= sigma
            for part in _blocks(rows, len(cols)):
                piece = s.piece[part]
                v = s.weight[part, None] * value[piece] - beta[s.offer[part]][:, cols]
                taken = np.maximum(v, 0.0) - np.maximum(v - charge[charged], 0.0)
                out[part] = np.where(elig[piece] & ready, taken, 0.0).sum(axis=1)
        return out

    def _window_best(self, w: np.ndarray, rows: np.ndarray):
        """Best top-n sum with n in the count window: (value, n, order, volume).

        `order` holds at least the top n_hi organizations of each row, best first
        (the counts of eligible and positive values are capped at its width, which
        is at least n_hi, so the clipped n is unchanged)."""
        s = self.subs
        # only the top n_hi values can matter: partial selection, then a sort of those
        k = int(min(w.shape[1], s.nhi[rows].max()))
        if k < w.shape[1] // 2:
            part = np.argpartition(-w, k - 1, axis=1)[:, :k]
            inner = np.argsort(-np.take_along_axis(w, part, axis=1), axis=1, kind="stable")
            order = np.take_along_axis(part, inner, axis=1)
        else:
            order = np.argsort(-w, axis=1, kind="stable")
        ws = np.take_along_axis(w, order, axis=1)
        finite = np.isfinite(ws)
        n_el = finite.sum(axis=1)
        n_pos = (ws > 0).sum(axis=1)
        hi = np.minimum(s.nhi[rows], n_el)
        n = np.clip(n_pos, s.nlo[rows], np.maximum(hi, 1))
        ok = s.nlo[rows] <= hi
        csum = np.cumsum(np.where(finite, ws, 0.0), axis=1)
        r = np.arange(len(rows))
        value = csum[r, n - 1]
        vol = np.cumsum(self.data.d[order], axis=1)[r, n - 1]
        value[~ok] = -np.inf
        return value, n, order, vol, ok

    # -- pricing -------------------------------------------------------------
    def price(
        self,
        pi: np.ndarray,
        mu: np.ndarray,
        nu_cum: np.ndarray,
        iterations: int = 12,
        own: np.ndarray | None = None,
    ) -> PricingResult:
        """Upper and lower bounds on the reduced cost of every subproblem.

        pi: duals of the category's organizations; mu: per offer of the category;
        nu_cum: cumulative formation duals, nu_cum[p] = sum_{q <= p} nu_q (nu_cum[0] = 0);
        own: cumulative rule-8b duals of ``data.capped`` (``LotMaster.own_duals``).
        """
        data, s = self.data, self.subs
        beta = self._beta(pi, mu)
        C = s.const + nu_cum[s.sigma + s.lead - 1] - nu_cum[s.sigma - 1]
        self.last_C = C
        self.last_beta = beta
        self.last_own = own
        total = len(s)
        ub = np.full(total, -np.inf)
        lb = np.full(total, -np.inf)
        theta = np.zeros(total)
        if not total:
            return PricingResult(ub, lb, theta)
        # cheap bound sum_o max(0, w_o) - C for every row, by groups and prefix sums
        cheap = np.empty(total)
        gstep = max(1, BLOCK_ENTRIES // max(1, data.n))
        order = self.by_ready
        for first in range(0, len(self.group_piece), gstep):
            g = np.arange(first, min(len(self.group_piece), first + gstep))
            piece = self.group_piece[g]
            v = self.group_weight[g, None] * self.value[piece] - beta[self.group_offer[g]]
            v = np.where(self.elig[self.group_piece[g]], np.maximum(v, 0.0), 0.0)[:, order]
            prefix = np.concatenate((np.zeros((len(g), 1)), np.cumsum(v, axis=1)), axis=1)
            in_g = np.nonzero((self.group >= first) & (self.group < first + len(g)))[0]
            cheap[in_g] = prefix[self.group[in_g] - first, self.ready_count[in_g]]
        if own is not None:
            cheap -= self._own_correction(beta, own)
        ub[:] = cheap - C
        candidates = np.nonzero(ub > 0)[0]
        budget = max(1, ENTRY_BUDGET // max(1, data.n))
        if len(candidates) > budget:
            # partial pricing: only the most promising rows are solved this round;
            # the others keep their cheap bound, which is valid (just weaker)
            keep = np.argpartition(-ub[candidates], budget - 1)[:budget]
            candidates = np.sort(candidates[keep])
            self.partial = True
        else:
            self.partial = False
        for live in _blocks(candidates, data.n):
            w = self._weights(live, beta, own)
            value, n, order, vol, ok = self._window_best(w, live)
            inside = ok & (vol >= s.vlo[live]) & (vol <= s.vhi[live])
            exact = value - C[live]
            ub[live] = np.minimum(ub[live], np.where(ok, exact, -np.inf))
            lb[live[inside]] = exact[inside]
            theta[live[inside]] = 0.0
            need = ok & ~inside
            single = need & (s.nhi[live] == 1)
            if single.any():  # one member: exact, the best one inside the volume window
                rows1 = live[single]
                best = self._single(w[single], rows1)
                ub[rows1] = best - C[rows1]
                lb[rows1] = best - C[rows1]
                theta[rows1] = np.nan
                need &= ~single
            small = need & (np.isfinite(w).sum(axis=1) <= ENUMERATE_UP_TO)
            if small.any():  # few eligible members: enumerate every subset, exact
                rows2 = live[small]
                best = self._enumerate(w[small], rows2)
                ub[rows2] = best - C[rows2]
                lb[rows2] = best - C[rows2]
                theta[rows2] = np.inf  # members() looks the set up in self.exact_sets
                need &= ~small
            if need.any():
                self._lagrange(w[need], live[need], vol[need], C, ub, lb, theta, iterations)
        return PricingResult(ub, lb, theta)

    def _enumerate(self, w: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Exact best over all subsets of the (at most ENUMERATE_UP_TO) eligible members."""
        s, d = self.subs, self.data.d
        m = min(ENUMERATE_UP_TO, w.shape[1])
        order = np.argsort(-w, axis=1, kind="stable")[:, :m]
        ws = np.take_along_axis(w, order, axis=1)
        valid = np.isfinite(ws)
        bits = ((np.arange(1 << m)[:, None] >> np.arange(m)[None, :]) & 1).astype(float)
        values = np.where(valid, ws, 0.0) @ bits.T  # rows x subsets
        counts = bits.sum(axis=1)
        vols = d[order] @ bits.T
        uses_invalid = (~valid).astype(float) @ bits.T > 0
        ok = (
            ~uses_invalid
            & (counts[None, :] >= s.nlo[rows, None])
            & (counts[None, :] <= s.nhi[rows, None])
            & (vols >= s.vlo[rows, None])
            & (vols <= s.vhi[rows, None])
        )
        values = np.where(ok, values, -np.inf)
        pick = values.argmax(axis=1)
        best = values[np.arange(len(rows)), pick]
        for i, r in enumerate(rows.tolist()):
            if np.isfinite(best[i]):
                self.exact_sets[r] = order[i][bits[pick[i]] > 0].copy()
        return best

    def _single(self, w: np.ndarray, rows: np.ndarray, index: bool = False) -> np.ndarray:
        """Best single member inside each row's volume window (value, or its index)."""
        s, d = self.subs, self.data.d
        fits = (d[None, :] >= s.vlo[rows, None]) & (d[None, :] <= s.vhi[rows, None])
        masked = np.where(fits, w, -np.inf)
        return masked.argmax(axis=1) if index else masked.max(axis=1)

    def _lagrange(self, w, rows, vol, C, ub, lb, theta_out, iterations) -> None:
        s, d = self.subs, self.data.d
        sign = np.where(vol < s.vlo[rows], 1.0, -1.0)  # +1: more volume needed
        ref = np.where(sign > 0, s.vlo[rows], s.vhi[rows])
        finite_w = np.where(np.isfinite(w), w, 0.0)
        scale = np.abs(finite_w).max(axis=1) / max(float(d.min()), 1e-12) + 1.0
        hint = np.abs(self.theta_hint[rows])
        t = np.where(hint > 0, hint, scale * 1e-3)
        lo = np.zeros(len(rows))
        hi = np.full(len(rows), np.inf)
        best_ub = ub[rows].copy()
        best_lb = lb[rows].copy()
        best_theta = np.zeros(len(rows))
        feasible_theta = np.full(len(rows), np.nan)
        for _ in range(iterations):
            theta = sign * t
            wt = w + theta[:, None] * d[None, :]
            value, n, order, v, ok = self._window_best(wt, rows)
            bound = value - theta * ref - C[rows]
            best_ub = np.minimum(best_ub, np.where(ok, bound, -np.inf))
            inside = ok & (v >= s.vlo[rows]) & (v <= s.vhi[rows])
            actual = value - theta * v - C[rows]
            better = inside & (actual > best_lb)
            best_lb[better] = actual[better]
            best_theta[better] = theta[better]
            # too little (sign>0) or too much (sign<0) volume: push theta further
            short = np.where(sign > 0, v < s.vlo[rows], v > s.vhi[rows])
            lo = np.where(short, t, lo)
            hi = np.where(short, hi, t)
            feasible_theta = np.where(short, feasible_theta, t)
            t = np.where(np.isfinite(hi), 0.5 * (lo + hi), t * 4.0)
        ub[rows] = best_ub
        lb[rows] = best_lb
        theta_out[rows] = best_theta
        self.theta_hint[rows] = np.where(np.isnan(feasible_theta), t, feasible_theta)

    def beta_fall(self, before: np.ndarray) -> np.ndarray:
        """Per subproblem: the sum of the n_hi largest of max(0, beta_before -
        beta_last) over the piece's eligible organizations (``_beta`` arrays, offers
        x organizations; beta_last that of the last pricing): a lot has at most n_hi
        members."""
        pieces = self.data.pieces
        offer = np.array([p.offer for p in pieces], dtype=np.int64)
        rise = np.maximum(before - self.last_beta, 0.0)[offer]  # pieces x N
        return top_sums(np.where(self.elig, rise, 0.0), self.subs.nhi, self.subs.piece)

    def own_fall(self, before: np.ndarray | None, after: np.ndarray | None) -> np.ndarray:
        """Per subproblem: the sum of the n_hi largest of max(0, r_before - r_after)
        over the piece's eligible limited organizations, the positive parts of the
        fall of their rule-8b charges between two sets of duals (``own`` arrays;
        None: all 0): a lot has at most n_hi members. Per forming window, only the
        organizations whose charge fell there are summed."""
        s, data = self.subs, self.data
        out = np.zeros(len(s))
        if before is None or not len(data.capped):
            return out
        for sigma, lead, rows in self.windows:
            fall = _window_charge(before, sigma, lead)
            if after is not None:
                fall = fall - _window_charge(after, sigma, lead)
            fell = np.nonzero(fall > 0.0)[0]
            if not len(fell):
                continue
            elig = self.elig[:, data.capped[fell]]
            for part in _blocks(rows, len(fell)):
                values = np.where(elig[s.piece[part]], fall[fell], 0.0)
                out[part] = top_sums(values, s.nhi[part])
        return out

    def _beta(self, pi: np.ndarray, mu: np.ndarray) -> np.ndarray:
        """Per offer and organization: coordination_cost + pi_o + mu_s d_o."""
        data = self.data
        coord = data.cat.coordination_cost
        return np.stack([coord + pi + mu[j] * data.d for j in range(len(data.offers))])

    def weights(
        self, rows: np.ndarray, pi: np.ndarray, mu: np.ndarray, own: np.ndarray | None = None
    ) -> np.ndarray:
        """Member values w_o of the given subproblems (-inf where not eligible)."""
        return self._weights(rows, self._beta(pi, mu), own)

    def members(
        self, rows: np.ndarray, theta: np.ndarray, pi, mu, own: np.ndarray | None = None
    ) -> list[np.ndarray]:
        """The member sets (organization indices) found for the given subproblems."""
        data = self.data
        single = np.isnan(theta)
        listed = np.isinf(theta)
        w = self._weights(rows, self._beta(pi, mu), own)
        out: list[np.ndarray] = [np.empty(0, dtype=np.int64)] * len(rows)
        for i in np.nonzero(listed)[0]:
            out[i] = self.exact_sets[int(rows[i])]
        if single.any():
            best = self._single(w[single], rows[single], index=True)
            for i, j in zip(np.nonzero(single)[0], best, strict=True):
                out[i] = np.array([j])
        rest = ~single & ~listed
        if rest.any():
            wt = w[rest] + theta[rest, None] * data.d[None, :]
            value, n, order, vol, ok = self._window_best(wt, rows[rest])
            for k, i in enumerate(np.nonzero(rest)[0]):
                out[i] = order[k, : n[k]].copy()
        return out


def _window_charge(own: np.ndarray, sigma: int, lead: int) -> np.ndarray:
    """Each limited organization's rule-8b charge in the forming window sigma..sigma+L-1,
    from cumulative duals `own` (``CategoryPricing.own_charge`` for one window)."""
    return own[:, sigma + lead - 1] - own[:, sigma - 1]


def _blocks(rows: np.ndarray, width: int) -> list[np.ndarray]:
    """`rows` in pieces of at most BLOCK_ENTRIES entries of `width` columns each."""
    step = max(1, BLOCK_ENTRIES // max(1, width))
    return [rows[i : i + step] for i in range(0, len(rows), step)]


def top_sums(values: np.ndarray, most: np.ndarray, row: np.ndarray | None = None) -> np.ndarray:
    """Per k: the sum of the `most[k]` largest entries of row `row[k]` of `values`
    (rows x entries, all >= 0; `row` None: row k)."""
    most = np.asarray(most, dtype=np.int64)
    if values.shape[1] == 0:
        return np.zeros(len(most))
    ranked = -np.sort(-values, axis=1)
    running = np.concatenate([np.zeros((values.shape[0], 1)), np.cumsum(ranked, axis=1)], axis=1)
    at = np.arange(len(most)) if row is None else row
    return running[at, np.minimum(most, values.shape[1])]
