# Reference values for hamstudy.design.events_logrank / sample_size_logrank / power_logrank.
#
# gsDesign is not in Debian, so the formulas are computed here independently, in closed form, with
# the probability of an observed event obtained by numerical integration over the uniform entry
# time (stats::integrate) rather than by the closed form used in Python.
#
# Run from the repository root:  Rscript tests/reference/design_logrank.R
# Writes tests/reference/design_logrank.csv and tests/reference/design_logrank_versions.csv.

scen <- data.frame(
  id = 1:8,
  hazard_ratio   = c(0.5,  0.3,  0.7,   0.6,    1.5, 0.2,  0.5,  0.8),
  control_median = c(180,  60,   100,   30,     200, 14,   365,  50),
  accrual        = c(365,  180,  0,     60,     100, 0,    730,  20),
  follow_up      = c(365,  90,   150,   30,     200, 14,   365,  40),
  alpha          = c(0.05, 0.05, 0.05,  0.01,   0.05, 0.05, 0.10, 0.05),
  power          = c(0.8,  0.8,  0.9,   0.8,    0.8, 0.8,  0.85, 0.9),
  allocation     = c(0.5,  0.5,  0.5,   1/3,    0.6, 0.5,  0.5,  0.7),
  dropout_rate   = c(0,    0,    0.001, 0.002,  0,   0,    0.0005, 0.01)
)

event_prob <- function(lambda, A, F, eta) {
  theta <- lambda + eta
  observed <- function(fu) lambda / theta * (1 - exp(-theta * fu))
  if (A == 0) return(observed(F))
  # entry u ~ Uniform(0, A); follow-up A + F - u
  integrate(function(u) observed(A + F - u), 0, A, rel.tol = 1e-13, abs.tol = 0)$value / A
}

f17 <- function(x) sprintf("%.17g", x)
rows <- list()
for (i in seq_len(nrow(scen))) {
  s <- scen[i, ]
  lam1 <- log(2) / s$control_median
  lam2 <- s$hazard_ratio * lam1
  q1 <- s$allocation; q2 <- 1 - q1
  za <- qnorm(1 - s$alpha / 2); zb <- qnorm(s$power)
  p1 <- event_prob(lam1, s$accrual, s$follow_up, s$dropout_rate)
  p2 <- event_prob(lam2, s$accrual, s$follow_up, s$dropout_rate)
  p0 <- event_prob(q1 * lam1 + q2 * lam2, s$accrual, s$follow_up, s$dropout_rate)
  pbar <- q1 * p1 + q2 * p2
  lhr <- abs(log(s$hazard_ratio))
  # Schoenfeld (1983)
  d_schoenfeld <- (za + zb)^2 / (q1 * q2 * lhr^2)
  # Freedman (1982), allocation q1 : q2
  d_freedman <- (za + zb)^2 * (q1 + q2 * s$hazard_ratio)^2 / (q1 * q2 * (1 - s$hazard_ratio)^2)
  # Lachin & Foulkes (1986), log hazard ratio form (gsDesign::nSurv default)
  v0 <- 1 / (q1 * p0) + 1 / (q2 * p0)
  v1 <- 1 / (q1 * p1) + 1 / (q2 * p2)
  n_lf <- ((za * sqrt(v0) + zb * sqrt(v1)) / lhr)^2
  # asymptotic power of a 40 + 40 design under the same assumptions (Schoenfeld)
  d40 <- 40 * p1 + 40 * p2
  drift <- sqrt(d40 * 0.25) * lhr
  power40 <- pnorm(drift - za) + pnorm(-drift - za)
  rows[[i]] <- data.frame(
    id = s$id, hazard_ratio = f17(s$hazard_ratio), control_median = f17(s$control_median),
    accrual = f17(s$accrual), follow_up = f17(s$follow_up), alpha = f17(s$alpha), power = f17(s$power),
    allocation = f17(s$allocation), dropout_rate = f17(s$dropout_rate),
    event_probability1 = f17(p1), event_probability2 = f17(p2),
    events_schoenfeld = f17(d_schoenfeld), events_freedman = f17(d_freedman),
    n_lachin_foulkes = f17(n_lf), n_schoenfeld = f17(ceiling(d_schoenfeld) / pbar),
    n_freedman = f17(ceiling(d_freedman) / pbar), power_40_40 = f17(power40)
  )
}
out <- do.call(rbind, rows)
write.csv(out, "tests/reference/design_logrank.csv", row.names = FALSE, quote = FALSE)
versions <- data.frame(
  item = c("R", "stats", "generated_by"),
  version = c(R.version.string, as.character(packageVersion("stats")), "tests/reference/design_logrank.R")
)
write.csv(versions, "tests/reference/design_logrank_versions.csv", row.names = FALSE)
