# Reference for hamstudy.reconstruct (censoring = "even"): the algorithm of Guyot et al. (2012),
# BMC Med Res Methodol 12:9, transcribed into R from the description and code published with the
# paper (same variable names: t.S, S, lower, upper, n.risk, n.censor, n.hat, d, cen, KM.hat).
# It runs on every case listed in tests/data/curves/manifest.csv, with and without the total
# number of events, and writes per-point events and censorings to reconstruct_guyot_R.csv.
#
# Three details follow hamstudy's guards rather than the letter of the published code, and make no
# difference on these cases: the censoring rate carried into the last interval counts the
# censorings actually placed (published: the loop's last n.censor), the last-interval censoring
# count is capped at the number at risk, and the KM.hat[last] != 0 check is applied in every pass.
#
# Usage (from the repository root): Rscript tests/reference/reconstruct_guyot.R

guyot_published <- function(t.S, S, t.risk, n.risk, tot.events = NA) {
  n.t <- length(t.S)
  n.int <- length(n.risk)
  lower <- sapply(t.risk, function(x) min(which(t.S >= x)))
  upper <- c(lower[-1] - 1, n.t)
  n.censor <- rep(0, n.int)
  n.hat <- rep(n.risk[1] + 1, n.t + 1)
  cen <- rep(0, n.t)
  d <- rep(0, n.t)
  KM.hat <- rep(1, n.t)
  last.i <- rep(1, n.int)
  sumdL <- 0
  spread <- function(nc, a, b) {            # censor counts on the bins t.S[a:b]
    ct <- t.S[a] + (1:nc) * (t.S[b] - t.S[a]) / (nc + 1)
    hist(ct, breaks = t.S[a:b], plot = FALSE)$counts
  }
  if (n.int > 1) {
    for (i in 1:(n.int - 1)) {
      n.censor[i] <- round(n.risk[i] * S[lower[i + 1]] / S[lower[i]] - n.risk[i + 1])
      while ((n.hat[lower[i + 1]] > n.risk[i + 1]) ||
             ((n.hat[lower[i + 1]] < n.risk[i + 1]) && (n.censor[i] > 0))) {
        if (n.censor[i] <= 0) {
          cen[lower[i]:upper[i]] <- 0
          n.censor[i] <- 0
        }
        if (n.censor[i] > 0) cen[lower[i]:upper[i]] <- spread(n.censor[i], lower[i], lower[i + 1])
        n.hat[lower[i]] <- n.risk[i]
        last <- last.i[i]
        for (k in lower[i]:upper[i]) {
          if (i == 1 && k == lower[i]) {
            d[k] <- 0
            KM.hat[k] <- 1
          } else {
            d[k] <- round(n.hat[k] * (1 - (S[k] / KM.hat[last])))
            KM.hat[k] <- KM.hat[last] * (1 - (d[k] / n.hat[k]))
          }
          n.hat[k + 1] <- n.hat[k] - d[k] - cen[k]
          if (d[k] != 0) last <- k
        }
        n.censor[i] <- n.censor[i] + (n.hat[lower[i + 1]] - n.risk[i + 1])
      }
      if (n.hat[lower[i + 1]] < n.risk[i + 1]) n.risk[i + 1] <- n.hat[lower[i + 1]]
      last.i[i + 1] <- last
    }
  }
  # last interval: the average censoring rate of the earlier intervals
  if (n.int > 1) {
    n.censor[n.int] <- min(round(sum(cen[1:upper[n.int - 1]]) * (t.S[upper[n.int]] - t.S[lower[n.int]]) /
                                 (t.S[upper[n.int - 1]] - t.S[lower[1]])), n.risk[n.int])
  } else {
    n.censor[n.int] <- 0
  }
  last_interval <- function() {
    if (n.censor[n.int] <= 0) {
      if (upper[n.int] > lower[n.int]) cen[lower[n.int]:(upper[n.int] - 1)] <<- 0
      n.censor[n.int] <<- 0
    } else if (upper[n.int] > lower[n.int]) {
      cen[lower[n.int]:(upper[n.int] - 1)] <<- spread(n.censor[n.int], lower[n.int], upper[n.int])
    }
    n.hat[lower[n.int]] <<- n.risk[n.int]
    last <- last.i[n.int]
    for (k in lower[n.int]:upper[n.int]) {
      if (n.int == 1 && k == 1) {
        d[k] <<- 0
        KM.hat[k] <<- 1
      } else if (KM.hat[last] != 0) {
        d[k] <<- round(n.hat[k] * (1 - (S[k] / KM.hat[last])))
        KM.hat[k] <<- KM.hat[last] * (1 - (d[k] / n.hat[k]))
      } else {
        d[k] <<- 0
      }
      n.hat[k + 1] <<- n.hat[k] - d[k] - cen[k]
      if (n.hat[k + 1] < 0) {
        n.hat[k + 1] <<- 0
        cen[k] <<- n.hat[k] - d[k]
      }
      if (d[k] != 0) last <- k
    }
  }
  last_interval()
  if (!is.na(tot.events)) {
    if (n.int > 1) {
      sumdL <- sum(d[1:upper[n.int - 1]])
      if (sumdL >= tot.events) {
        d[lower[n.int]:upper[n.int]] <- 0
        if (upper[n.int] > lower[n.int]) cen[lower[n.int]:(upper[n.int] - 1)] <- 0
      }
    }
    if ((sumdL < tot.events) || (n.int == 1)) {
      sumd <- sum(d[1:upper[n.int]])
      while ((sumd > tot.events) || ((sumd < tot.events) && (n.censor[n.int] > 0))) {
        n.censor[n.int] <- min(n.censor[n.int] + (sumd - tot.events), n.risk[n.int])
        last_interval()
        sumd <- sum(d[1:upper[n.int]])
      }
    }
  }
  data.frame(k = seq_len(n.t), time = t.S, d = d, cen = cen)
}

root <- "tests/data/curves"
manifest <- read.csv(file.path(root, "manifest.csv"), stringsAsFactors = FALSE)
out <- list()
for (r in seq_len(nrow(manifest))) {
  case <- manifest$case[r]
  curve <- read.csv(file.path(root, paste0(case, "_curve.csv")))
  risk <- read.csv(file.path(root, paste0(case, "_at_risk.csv")))
  for (use_total in c(FALSE, TRUE)) {
    res <- guyot_published(curve$time, curve$survival, risk$time, risk$n_risk,
                           if (use_total) manifest$total_events[r] else NA)
    res$case <- case
    res$total_events <- if (use_total) manifest$total_events[r] else NA
    out[[length(out) + 1]] <- res
  }
}
res <- do.call(rbind, out)
res$time <- sprintf("%.17g", res$time)
write.csv(res[, c("case", "total_events", "k", "time", "d", "cen")], "tests/reference/reconstruct_guyot_R.csv",
          row.names = FALSE, na = "")
writeLines(c("component,version", paste0("R,", R.version$major, ".", R.version$minor)),
           "tests/reference/reconstruct_guyot_versions.csv")
