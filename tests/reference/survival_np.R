# Reference values for hamstudy's non-parametric survival functions (kaplan_meier, logrank, rmst,
# cumulative_incidence, incidence_rate, rate_ratio), produced by R's survival package.
#
# Run from the repository root:   Rscript tests/reference/survival_np.R
# It writes tests/reference/survival_np_*.csv (numbers at full precision, sprintf("%.17g")) and
# survival_np_versions.csv (R and survival versions).  Only base R and survival are used.
#
# Datasets: >= 100 generated with a fixed seed (heavy ties, n from 5 to 300, arms with zero events,
# all censored, all events, one subject per arm, 2-3 groups, 2 strata, two competing causes) plus
# the survival package's own `aml` and `ovarian` examples.

suppressPackageStartupMessages(library(survival))
out_dir <- file.path("tests", "reference")
num <- function(x) ifelse(is.na(x) & !is.nan(x), "NA", sprintf("%.17g", as.numeric(x)))

set.seed(20040401)
datasets <- list()
meta <- list()
add <- function(id, kind, time, status, group, strata, cause, tau) {
  datasets[[length(datasets) + 1]] <<- data.frame(dataset = id, time = time, status = status,
                                                   group = group, strata = strata, cause = cause)
  meta[[length(meta) + 1]] <<- data.frame(dataset = id, kind = kind, n = length(time), tau = tau)
}

kinds <- c("ties", "continuous", "zero_arm", "all_censored", "all_events", "three_groups",
           "one_per_arm", "ties_zero_arm")
sizes <- c(5, 6, 7, 8, 10, 12, 15, 20, 24, 30, 40, 50, 75, 100, 150, 200, 300)
id <- 0
for (rep in 1:15) {
  for (kind in kinds) {
    id <- id + 1
    n <- if (kind == "one_per_arm") 2 else sample(sizes, 1)
    ngroup <- if (kind == "three_groups") 3 else 2
    if (kind == "one_per_arm") {
      group <- c(1, 2)
    } else {
      group <- sample(c(1:ngroup, sample(1:ngroup, n - ngroup, replace = TRUE)))
    }
    if (kind %in% c("ties", "ties_zero_arm", "three_groups")) {
      time <- sample(1:sample(3:8, 1), n, replace = TRUE)          # heavy ties
    } else if (kind == "one_per_arm") {
      time <- sample(1:3, 2, replace = TRUE)
    } else {
      time <- round(rexp(n, rate = ifelse(group == 1, 0.1, 0.05)), 1) + 0.1
    }
    status <- rbinom(n, 1, 0.65)
    if (kind %in% c("zero_arm", "ties_zero_arm")) status[group == 2] <- 0
    if (kind == "all_censored") status[] <- 0
    if (kind == "all_events") status[] <- 1
    strata <- sample(1:2, n, replace = TRUE)
    cause <- ifelse(status == 1, sample(1:2, n, replace = TRUE), 0)
    # tau: inside the follow-up, or beyond the last time (R extends the last value flat)
    tau <- if (rep %% 3 == 0) max(time) + 2.5 else as.numeric(quantile(time, 0.7))
    add(sprintf("g%03d", id), kind, time, status, group, strata, cause, tau)
  }
}
aml <- survival::aml          # the package's own example data sets
ovarian <- survival::ovarian
add("aml", "aml", aml$time, aml$status, ifelse(aml$x == "Maintained", 1, 2),
    rep(1, nrow(aml)), aml$status, 30)
add("ovarian", "ovarian", ovarian$futime, ovarian$fustat, ovarian$rx, ovarian$resid.ds,
    ovarian$fustat, 700)

all_data <- do.call(rbind, datasets)
all_meta <- do.call(rbind, meta)

km_rows <- list(); sm_rows <- list(); rm_rows <- list(); sd_rows <- list(); sdg_rows <- list()
sdv_rows <- list(); ms_rows <- list()
for (m in seq_len(nrow(all_meta))) {
  did <- all_meta$dataset[m]; tau <- all_meta$tau[m]
  d <- all_data[all_data$dataset == did, ]
  for (ct in c("log-log", "log", "plain")) {
    f <- survfit(Surv(time, status) ~ 1, data = d, conf.type = ct)
    km_rows[[length(km_rows) + 1]] <- data.frame(
      dataset = did, conf_type = ct, time = num(f$time), n_risk = num(f$n.risk),
      n_event = num(f$n.event), n_censor = num(f$n.censor), surv = num(f$surv),
      std_err = num(f$std.err * f$surv), lower = num(f$lower), upper = num(f$upper))
    tab <- summary(f, rmean = tau)$table
    sm_rows[[length(sm_rows) + 1]] <- data.frame(
      dataset = did, conf_type = ct, median = num(tab[["median"]]),
      lcl = num(tab[["0.95LCL"]]), ucl = num(tab[["0.95UCL"]]), tau = num(tau),
      rmean = num(tab[["rmean"]]), se_rmean = num(tab[["se(rmean)"]]))
  }
  fg <- survfit(Surv(time, status) ~ group, data = d)
  tg <- summary(fg, rmean = tau)$table
  if (!is.matrix(tg)) tg <- matrix(tg, nrow = 1, dimnames = list(NULL, names(tg)))
  rm_rows[[length(rm_rows) + 1]] <- data.frame(
    dataset = did, group = sort(unique(d$group)), tau = num(tau),
    rmean = num(tg[, "rmean"]), se_rmean = num(tg[, "se(rmean)"]))
  if (length(unique(d$group)) >= 2) {
    for (rho in c(0, 1)) {
      for (st in c(FALSE, TRUE)) {
        # survdiff warns "NaNs produced" when no group has expected events (df = -1): recorded as is
        sd <- if (st) tryCatch(survdiff(Surv(time, status) ~ group + strata(strata), data = d, rho = rho),
                               error = function(e) NULL)
              else tryCatch(survdiff(Surv(time, status) ~ group, data = d, rho = rho),
                            error = function(e) NULL)
        if (is.null(sd)) next
        obs <- if (is.matrix(sd$obs)) rowSums(sd$obs) else sd$obs
        ex <- if (is.matrix(sd$exp)) rowSums(sd$exp) else sd$exp
        df <- sum(ex > 0) - 1
        sd_rows[[length(sd_rows) + 1]] <- data.frame(
          dataset = did, rho = rho, stratified = as.integer(st), chisq = num(sd$chisq),
          df = df, pvalue = num(sd$pvalue))
        g <- sort(unique(d$group))
        sdg_rows[[length(sdg_rows) + 1]] <- data.frame(
          dataset = did, rho = rho, stratified = as.integer(st), group = g,
          obs = num(obs), exp = num(ex))
        v <- as.matrix(sd$var)
        sdv_rows[[length(sdv_rows) + 1]] <- data.frame(
          dataset = did, rho = rho, stratified = as.integer(st),
          i = rep(g, times = length(g)), j = rep(g, each = length(g)), var = num(c(v)))
      }
    }
  }
  # Aalen-Johansen via multi-state survfit (factor status; state "(s0)" = event-free)
  if (any(d$cause > 0)) {
    fm <- survfit(Surv(time, factor(cause, levels = 0:2)) ~ 1, data = d)
    ps <- fm$pstate; se <- fm$std.err; lo <- fm$lower; up <- fm$upper
    for (k in seq_len(ncol(ps))) {
      ms_rows[[length(ms_rows) + 1]] <- data.frame(
        dataset = did, state = k - 1, time = num(fm$time), n_risk = num(fm$n.risk[, 1]),
        pstate = num(ps[, k]), std_err = num(se[, k]), lower = num(lo[, k]), upper = num(up[, k]))
    }
  }
}

# exact Poisson rates and rate ratios (poisson.test)
po_rows <- list()
cases <- rbind(c(0, 150.5, 0, 210), c(6, 1830, 0, 2210.25), c(7, 950, 1, 1300), c(1, 10, 1, 10),
               c(0, 40, 3, 55), c(12, 3000.75, 5, 2800), c(3, 0.5, 9, 2), c(25, 10000, 40, 12500))
for (r in seq_len(nrow(cases))) {
  x1 <- cases[r, 1]; t1 <- cases[r, 2]; x2 <- cases[r, 3]; t2 <- cases[r, 4]
  for (cl in c(0.95, 0.9)) {
    p1 <- poisson.test(x1, t1, conf.level = cl)
    p2 <- poisson.test(x2, t2, conf.level = cl)
    rr <- if (x1 + x2 > 0) poisson.test(c(x1, x2), c(t1, t2), conf.level = cl) else NULL
    po_rows[[length(po_rows) + 1]] <- data.frame(
      events1 = x1, exposure1 = num(t1), events2 = x2, exposure2 = num(t2), conf_level = cl,
      rate1_low = num(p1$conf.int[1]), rate1_high = num(p1$conf.int[2]),
      rate2_low = num(p2$conf.int[1]), rate2_high = num(p2$conf.int[2]),
      rr = if (is.null(rr)) "NA" else num(rr$estimate),
      rr_low = if (is.null(rr)) "NA" else num(rr$conf.int[1]),
      rr_high = if (is.null(rr)) "NA" else num(rr$conf.int[2]),
      rr_p = if (is.null(rr)) "NA" else num(rr$p.value))
  }
}

wr <- function(rows, name) {
  write.csv(do.call(rbind, rows), file.path(out_dir, name), row.names = FALSE, quote = TRUE)
}
all_data$time <- num(all_data$time)
write.csv(all_data, file.path(out_dir, "survival_np_data.csv"), row.names = FALSE)
all_meta$tau <- num(all_meta$tau)
write.csv(all_meta, file.path(out_dir, "survival_np_datasets.csv"), row.names = FALSE)
wr(km_rows, "survival_np_km.csv")
wr(sm_rows, "survival_np_km_summary.csv")
wr(rm_rows, "survival_np_rmst.csv")
wr(sd_rows, "survival_np_survdiff.csv")
wr(sdg_rows, "survival_np_survdiff_groups.csv")
wr(sdv_rows, "survival_np_survdiff_var.csv")
wr(ms_rows, "survival_np_multistate.csv")
wr(po_rows, "survival_np_poisson.csv")
write.csv(data.frame(key = c("R", "survival", "script", "seed"),
                     value = c(R.version.string, as.character(packageVersion("survival")),
                               "tests/reference/survival_np.R", "20040401")),
          file.path(out_dir, "survival_np_versions.csv"), row.names = FALSE)
cat("datasets:", nrow(all_meta), "\n")
