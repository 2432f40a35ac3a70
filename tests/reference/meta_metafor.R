# Reference values for hamstudy.meta from metafor.
#
# Run from the repository root:  Rscript tests/reference/meta_metafor.R
# Writes (all numbers with sprintf("%.17g")):
#   tests/reference/meta_datasets.csv   the 2x2 tables (dat.bcg, dat.egger2001, the hamstring four,
#                                       >= 50 seeded generated sets with zero and double-zero cells)
#   tests/reference/meta_cont_datasets.csv  continuous sets (dat.normand1999, generated, hamstring RTS)
#   tests/reference/meta_summary.csv    one row per (model, quantity)
#   tests/reference/meta_studies.csv    per-study yi, vi, weight of each model
#   tests/reference/meta_extras.csv     confint, regtest, leave1out, cumul, subgroup tests
# The first line of each output records the R and metafor versions.
#
# Iterative estimators are run with tight control (threshold/tol 1e-12, maxiter 10000) rather
# than metafor's defaults (threshold 1e-5, tol eps^0.25) so that both sides sit on the exact root;
# confint gets tau2.max = 1e4 so no bound is capped at metafor's default of 100.

suppressMessages(library(metafor))
options(warn = -1, stringsAsFactors = FALSE, na.action = "na.pass")  # per-study output keeps dropped rows as NA
shared <- Sys.getenv("HAMSTUDY_SHARED", "../shared")
out_dir <- "tests/reference"
ctrl <- list(threshold = 1e-12, tol = 1e-12, maxiter = 10000)
versions <- sprintf("# %s; metafor %s; generated %s", R.version.string,
                    as.character(packageVersion("metafor")), format(Sys.time(), "%Y-%m-%d", tz = "UTC"))
f17 <- function(x) ifelse(is.na(x), "NA", sprintf("%.17g", x))
nz <- function(x) if (is.null(x)) NA else x

# ------------------------------------------------------------------ binary data sets
sets <- list()
add_set <- function(name, study, ai, n1i, ci, n2i, year = NA, group = NA) {
  sets[[name]] <<- data.frame(dataset = name, study = study, ai = ai, n1i = n1i, ci = ci, n2i = n2i,
                              year = year, group = group)
}
data(dat.bcg, package = "metadat")
add_set("bcg", paste(dat.bcg$author, dat.bcg$year), dat.bcg$tpos, dat.bcg$tpos + dat.bcg$tneg,
        dat.bcg$cpos, dat.bcg$cpos + dat.bcg$cneg, dat.bcg$year, dat.bcg$alloc)
data(dat.egger2001, package = "metadat")
add_set("egger2001", paste(dat.egger2001$study, dat.egger2001$year), dat.egger2001$ai, dat.egger2001$n1i,
        dat.egger2001$ci, dat.egger2001$n2i, dat.egger2001$year, NA)

# the hamstring worked example: counts read from the curated source file, never typed here
h <- read.csv(file.path(shared, "data", "hamstring_rcts.csv"))
pick <- function(sid, arm, window) {
  r <- h[h$study_id == sid & h$arm == arm & h$outcome == "reinjury" & h$window_days == window, ]
  stopifnot(nrow(r) == 1)
  r
}
four <- list(c("sherry2004", "PATS", "STST", 365), c("askling2013", "L", "C", 365),
             c("askling2014", "L", "C", 365), c("mendiguchia2017", "RA", "RP", 182))
tt <- do.call(rbind, lapply(four, function(f) pick(f[1], f[2], as.numeric(f[4]))))
cc <- do.call(rbind, lapply(four, function(f) pick(f[1], f[3], as.numeric(f[4]))))
add_set("hamstring4", tt$study_id, tt$events, tt$total, cc$events, cc$total,
        as.numeric(sub("\\D+", "", tt$study_id)), tt$protocol_family)

# >= 50 generated sets: 2-20 trials, arms of 10-40 athletes, low risks so zero cells are common
set.seed(20261124)
for (s in 1:60) {
  k <- sample(2:20, 1)
  n1 <- sample(10:40, k, replace = TRUE)
  n2 <- sample(10:40, k, replace = TRUE)
  pc <- runif(1, 0.02, 0.35)
  lrr <- rnorm(k, rnorm(1, -0.4, 0.4), runif(1, 0, 0.8))
  pt <- pmin(pc * exp(lrr), 0.95)
  a <- rbinom(k, n1, pt)
  c <- rbinom(k, n2, pc)
  if (s %% 4 == 0) { a[1] <- 0; c[1] <- 0 }                # a forced double zero
  if (s %% 15 == 0 && k > 2) { a[2] <- n1[2]; c[2] <- n2[2] } # all events in both arms
  if (s %% 10 == 3) { a[k] <- 0 }                            # a single zero
  add_set(sprintf("gen%02d", s), sprintf("g%02d-%02d", s, 1:k), a, n1, c, n2, 2000 + 1:k,
          rep(c("x", "y"), length.out = k))
}
dsets <- do.call(rbind, sets)
con <- file(file.path(out_dir, "meta_datasets.csv"), "w")
writeLines(versions, con)
write.csv(dsets, con, row.names = FALSE)
close(con)

summ <- list()
stud <- list()
extra <- list()
put <- function(model, vals) {
  summ[[length(summ) + 1]] <<- data.frame(model = model, key = names(vals), value = f17(unlist(vals)))
}
put_studies <- function(model, yi, vi, w) {
  stud[[length(stud) + 1]] <<- data.frame(model = model, i = seq_along(yi), yi = f17(yi), vi = f17(vi), weight = f17(w))
}
put_extra <- function(model, what, vals) {
  extra[[length(extra) + 1]] <<- data.frame(model = model, what = what, key = names(vals), value = f17(unlist(vals)))
}
core <- function(res) {
  list(beta = c(res$beta), se = res$se, zval = res$zval, pval = res$pval, ci.lb = res$ci.lb, ci.ub = res$ci.ub,
       tau2 = res$tau2, I2 = res$I2, H2 = res$H2, QE = res$QE, QEp = res$QEp, k = res$k)
}

for (name in names(sets)) {
  d <- sets[[name]]
  for (measure in c("RR", "OR", "RD")) {
    drop <- measure != "RD"
    # Mantel-Haenszel
    res <- tryCatch(rma.mh(ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = d, measure = measure,
                           drop00 = c(drop, drop)), error = function(e) NULL)
    if (!is.null(res)) {
      id <- paste(name, measure, "MH", "FE", "z", sep = "|")
      put(id, core(res))
      put_studies(id, res$yi.f, res$vi.f, weights(res))
    }
    if (measure == "OR") {
      res <- tryCatch(rma.peto(ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = d, drop00 = c(TRUE, TRUE)),
                      error = function(e) NULL)
      if (!is.null(res)) {
        id <- paste(name, measure, "Peto", "FE", "z", sep = "|")
        put(id, core(res))
        put_studies(id, res$yi.f, res$vi.f, weights(res))
      }
    }
    for (method in c("FE", "DL", "REML", "PM")) {
      for (test in c("z", "knha")) {
        res <- tryCatch(rma(ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = d, measure = measure, method = method,
                            test = test, drop00 = drop, control = ctrl), error = function(e) NULL)
        if (is.null(res)) next
        id <- paste(name, measure, "IV", method, test, sep = "|")
        pr <- predict(res)
        put(id, c(core(res), list(pi.lb = nz(pr$pi.lb), pi.ub = nz(pr$pi.ub), vt = nz(res$vt))))
        put_studies(id, res$yi.f, res$vi.f, weights(res))
      }
    }
  }
}

# other confidence levels (90%): a sixth id field "90"
for (name in c("bcg", "hamstring4", "gen01", "gen02", "gen03")) {
  d <- sets[[name]]
  res <- rma.mh(ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = d, measure = "RR", drop00 = c(TRUE, TRUE), level = 90)
  put(paste(name, "RR", "MH", "FE", "z", "90", sep = "|"), core(res))
  res <- rma.peto(ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = d, drop00 = c(TRUE, TRUE), level = 90)
  put(paste(name, "OR", "Peto", "FE", "z", "90", sep = "|"), core(res))
  for (test in c("z", "knha")) {
    res <- rma(ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = d, measure = "RR", method = "REML", test = test,
               drop00 = TRUE, control = ctrl, level = 90)
    pr <- predict(res)
    put(paste(name, "RR", "IV", "REML", test, "90", sep = "|"),
        c(core(res), list(pi.lb = nz(pr$pi.lb), pi.ub = nz(pr$pi.ub), vt = nz(res$vt))))
    ci <- confint(res, control = list(tol = 1e-12, tau2.max = 1e4, maxiter = 10000))
    put_extra(paste(name, paste0("REML_", test, "_90"), sep = "|"), "confint",
              list(tau2.lb = ci$random["tau^2", "ci.lb"], tau2.ub = ci$random["tau^2", "ci.ub"],
                   I2.lb = ci$random["I^2(%)", "ci.lb"], I2.ub = ci$random["I^2(%)", "ci.ub"]))
  }
}

# ------------------------------------------------------------------ extras
.ext_models <- function(name) {
  d <- sets[[name]]
  list(
    REML_z = rma(ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = d, measure = "RR", method = "REML", drop00 = TRUE,
                 control = ctrl, slab = study),
    REML_knha = rma(ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = d, measure = "RR", method = "REML", test = "knha",
                    drop00 = TRUE, control = ctrl, slab = study),
    DL_z = rma(ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = d, measure = "RR", method = "DL", drop00 = TRUE,
               control = ctrl, slab = study),
    MH = rma.mh(ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = d, measure = "RR", drop00 = c(TRUE, TRUE), slab = study),
    PetoOR = rma.peto(ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = d, drop00 = c(TRUE, TRUE), slab = study)
  )
}
ext_sets <- c("bcg", "egger2001", "hamstring4", sprintf("gen%02d", 1:20))
for (name in ext_sets) {
  d <- sets[[name]]
  ms <- tryCatch(.ext_models(name), error = function(e) NULL)
  if (is.null(ms)) next
  for (mn in names(ms)) {
    res <- ms[[mn]]
    id <- paste(name, mn, sep = "|")
    if (res$k < 2) next
    if (mn != "MH" && mn != "PetoOR") {
      ci <- tryCatch(confint(res, control = list(tol = 1e-12, tau2.max = 1e4, maxiter = 10000)), error = function(e) NULL)
      if (!is.null(ci)) put_extra(id, "confint", list(tau2.lb = ci$random["tau^2", "ci.lb"], tau2.ub = ci$random["tau^2", "ci.ub"],
                                                      I2.lb = ci$random["I^2(%)", "ci.lb"], I2.ub = ci$random["I^2(%)", "ci.ub"]))
    }
    if (res$k >= 3) {
      rt <- tryCatch(regtest(res, control = ctrl), error = function(e) NULL)
      if (!is.null(rt)) put_extra(id, "regtest", list(zval = rt$zval, pval = rt$pval, dfs = ifelse(is.null(rt$dfs), NA, rt$dfs),
                                                      est = rt$est, ci.lb = rt$ci.lb, ci.ub = rt$ci.ub))
      rl <- tryCatch(regtest(res, model = "lm"), error = function(e) NULL)
      if (!is.null(rl)) put_extra(id, "regtest_lm", list(zval = rl$zval, pval = rl$pval, dfs = rl$dfs))
    }
    l1 <- tryCatch(leave1out(res), error = function(e) NULL)
    if (!is.null(l1)) {
      l1 <- as.data.frame(l1)
      for (j in seq_len(nrow(l1))) {
        vals <- as.list(l1[j, intersect(c("estimate", "se", "pval", "ci.lb", "ci.ub", "Q", "Qp", "tau2", "I2"), names(l1))])
        put_extra(id, paste0("leave1out:", rownames(l1)[j]), vals)
      }
    }
    cu <- tryCatch(cumul(res, order = d$year), error = function(e) NULL)
    if (!is.null(cu)) {
      cu <- as.data.frame(cu)
      for (j in seq_len(nrow(cu))) {
        vals <- as.list(cu[j, intersect(c("estimate", "se", "pval", "ci.lb", "ci.ub", "Q", "Qp", "tau2", "I2"), names(cu))])
        put_extra(id, paste0("cumul:", j, ":", rownames(cu)[j]), vals)
      }
    }
  }
  # subgroups (bcg by allocation; generated sets by the alternating x/y label)
  if (name != "egger2001" && name != "hamstring4" && length(unique(d$group)) > 1) {
    es <- escalc("RR", ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = d, drop00 = TRUE)
    es <- es[!is.na(es$yi), ]
    if (length(unique(es$group)) > 1 && nrow(es) > length(unique(es$group)) + 1) {
      for (method in c("REML", "DL")) for (test in c("z", "knha")) {
        mr <- tryCatch(rma(yi, vi, mods = ~ factor(group), data = es, method = method, test = test, control = ctrl),
                       error = function(e) NULL)
        if (!is.null(mr)) put_extra(paste(name, paste0(method, "_", test), sep = "|"), "subgroup_moderator",
                                    list(QM = mr$QM, QMp = mr$QMp, tau2 = mr$tau2))
        # separate tau2 per subgroup, then a common-effect Q test between the subgroup estimates
        sub <- lapply(split(es, es$group), function(g) rma(yi, vi, data = g, method = method, test = test, control = ctrl))
        bb <- sapply(sub, function(r) c(r$beta))
        ss <- sapply(sub, function(r) r$se)
        fb <- rma(bb, sei = ss, method = "FE")
        put_extra(paste(name, paste0(method, "_", test), sep = "|"), "subgroup_separate",
                  list(Qb = fb$QE, Qbp = fb$QEp))
      }
    }
  }
}

# ------------------------------------------------------------------ continuous
csets <- list()
data(dat.normand1999, package = "metadat")
nd <- dat.normand1999
csets$normand1999 <- data.frame(dataset = "normand1999", study = nd$source, m1i = nd$m1i, sd1i = nd$sd1i, n1i = nd$n1i,
                                m2i = nd$m2i, sd2i = nd$sd2i, n2i = nd$n2i, med1 = NA, q11 = NA, q31 = NA,
                                med2 = NA, q12 = NA, q32 = NA)
wan_mean <- function(q1, m, q3) (q1 + m + q3) / 3
wan_sd <- function(q1, q3, n) (q3 - q1) / (2 * qnorm((0.75 * n - 0.125) / (n + 0.25)))
set.seed(20261125)
for (s in 1:12) {
  k <- sample(2:12, 1)
  n1 <- sample(10:40, k, replace = TRUE); n2 <- sample(10:40, k, replace = TRUE)
  m1 <- rnorm(k, 30, 8); m2 <- m1 + rnorm(k, 6, 4)
  s1 <- runif(k, 5, 20); s2 <- runif(k, 5, 20)
  d <- data.frame(dataset = sprintf("cgen%02d", s), study = sprintf("c%02d-%02d", s, 1:k), m1i = m1, sd1i = s1, n1i = n1,
                  m2i = m2, sd2i = s2, n2i = n2, med1 = NA, q11 = NA, q31 = NA, med2 = NA, q12 = NA, q32 = NA)
  if (s %% 3 == 0) { # first study reports median and quartiles only
    d$med1[1] <- round(m1[1]); d$q11[1] <- round(m1[1] - 0.6 * s1[1]); d$q31[1] <- round(m1[1] + 0.8 * s1[1])
    d$med2[1] <- round(m2[1]); d$q12[1] <- round(m2[1] - 0.7 * s2[1]); d$q32[1] <- round(m2[1] + 0.6 * s2[1])
    d$m1i[1] <- NA; d$sd1i[1] <- NA; d$m2i[1] <- NA; d$sd2i[1] <- NA
  }
  csets[[sprintf("cgen%02d", s)]] <- d
}
r <- h[h$outcome == "days_to_return" & h$study_id %in% c("sherry2004", "askling2013", "askling2014",
                                                        "mendiguchia2017", "vermeulen2022"), ]
if (nrow(h[h$outcome == "reinjury" & h$study_id %in% c("askling2013", "mendiguchia2017"), ]) > 0) {
  # Askling and Mendiguchia carry return-to-sport times on their reinjury rows
  r2 <- h[h$outcome == "reinjury" & h$study_id %in% c("askling2013", "askling2014", "mendiguchia2017"), ]
  r <- rbind(r, r2)
}
tr <- r[r$protocol_family %in% c("integrated", "lengthening"), ]
co <- r[r$protocol_family %in% c("conventional", "isolated"), ]
tr <- tr[match(unique(tr$study_id), tr$study_id), ]
co <- co[match(tr$study_id, co$study_id), ]
csets$hamstring_rts <- data.frame(dataset = "hamstring_rts", study = tr$study_id, m1i = tr$rts_days_mean,
                                  sd1i = tr$rts_days_sd, n1i = tr$total, m2i = co$rts_days_mean, sd2i = co$rts_days_sd,
                                  n2i = co$total, med1 = tr$rts_days_median, q11 = tr$rts_days_q1, q31 = tr$rts_days_q3,
                                  med2 = co$rts_days_median, q12 = co$rts_days_q1, q32 = co$rts_days_q3)
cdat <- do.call(rbind, csets)
con <- file(file.path(out_dir, "meta_cont_datasets.csv"), "w")
writeLines(versions, con)
write.csv(cdat, con, row.names = FALSE)
close(con)
for (name in names(csets)) {
  d <- csets[[name]]
  der <- is.na(d$m1i) | is.na(d$sd1i)
  d$m1i[der] <- wan_mean(d$q11[der], d$med1[der], d$q31[der]); d$sd1i[der] <- wan_sd(d$q11[der], d$q31[der], d$n1i[der])
  der <- is.na(d$m2i) | is.na(d$sd2i)
  d$m2i[der] <- wan_mean(d$q12[der], d$med2[der], d$q32[der]); d$sd2i[der] <- wan_sd(d$q12[der], d$q32[der], d$n2i[der])
  for (measure in c("MD", "SMD")) for (method in c("FE", "DL", "REML", "PM")) for (test in c("z", "knha")) {
    res <- tryCatch(rma(m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i, n2i = n2i, data = d,
                        measure = measure, method = method, test = test, control = ctrl), error = function(e) NULL)
    if (is.null(res)) next
    id <- paste(name, measure, "IV", method, test, sep = "|")
    pr <- predict(res)
    put(id, c(core(res), list(pi.lb = nz(pr$pi.lb), pi.ub = nz(pr$pi.ub), vt = nz(res$vt))))
    put_studies(id, res$yi, res$vi, weights(res))
  }
}

# a set where metafor's REML Fisher scoring oscillates and stops with an error at the default step;
# with stepadj = 0.5 it converges: hamstudy falls back to maximising the restricted likelihood
osc_y <- c(0, 0, 0, 0, 0, 2); osc_v <- c(2, 2, 2, 2, 2, 0.5)
osc_fail <- inherits(try(rma(osc_y, osc_v, method = "REML", control = ctrl), silent = TRUE), "try-error")
osc <- rma(osc_y, osc_v, method = "REML", control = c(ctrl, list(stepadj = 0.5)))
put_extra("oscillating|REML", "reml_stepadj", c(setNames(as.list(osc_y), paste0("y", 1:6)),
                                               setNames(as.list(osc_v), paste0("v", 1:6)),
                                               list(default_step_fails = as.numeric(osc_fail), tau2 = osc$tau2,
                                                    beta = c(osc$beta), se = osc$se)))

for (nm in c("summ", "stud", "extra")) {
  tab <- do.call(rbind, get(nm))
  fn <- c(summ = "meta_summary.csv", stud = "meta_studies.csv", extra = "meta_extras.csv")[[nm]]
  con <- file(file.path(out_dir, fn), "w")
  writeLines(versions, con)
  write.csv(tab, con, row.names = FALSE)
  close(con)
}
cat("done\n")
