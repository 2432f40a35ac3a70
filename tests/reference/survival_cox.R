# Reference values for hamstudy.cox / hamstudy.ph_test (run from the repo root:
#   Rscript tests/reference/survival_cox.R
# ). Writes, next to this script:
#   survival_cox_datasets.csv  every dataset used (generated, seeded; aml; ovarian; T&G test1)
#   survival_cox_values.csv    dataset, fit, quantity, i, j, value  (value at full precision)
#   survival_cox_versions.csv  R and package versions
#
# Fits: coxph with ties efron/breslow, model-based, robust (per observation) and cluster-robust;
# summary() tests; cox.zph (transforms km, identity, rank, log); score residuals of test1; and an
# independent Firth (Heinze & Schemper 2001) penalised-likelihood optimisation written here from
# the definition (loglik + 0.5 log det I, Breslow ties, maximised with optimize/optim, profile
# limits by uniroot), because coxphf is not packaged for Debian.
suppressMessages(library(survival))
here <- "tests/reference"
fmt <- function(v) sprintf("%.17g", v)

ctl <- coxph.control(eps = 1e-13, iter.max = 200, toler.chol = 1e-15)

values <- list()
add <- function(ds, fit, quantity, v) {
  v <- as.matrix(v)
  ij <- which(!is.na(v) | is.na(v), arr.ind = TRUE)
  values[[length(values) + 1]] <<- data.frame(dataset = ds, fit = fit, quantity = quantity,
                                            i = ij[, 1], j = ij[, 2], value = fmt(v[ij]),
                                            stringsAsFactors = FALSE)
}
datasets <- list()
add_data <- function(ds, d) {
  for (nm in names(d)) if (is.numeric(d[[nm]])) d[[nm]] <- ifelse(is.na(d[[nm]]), NA, fmt(d[[nm]]))
  out <- data.frame(dataset = ds, time = d$time, status = d$status,
                    x1 = if (is.null(d$x1)) NA else d$x1,
                    x2 = if (is.null(d$x2)) NA else d$x2,
                    x3 = if (is.null(d$x3)) NA else d$x3,
                    cl = if (is.null(d$cl)) NA else d$cl,
                    stringsAsFactors = FALSE)
  datasets[[length(datasets) + 1]] <<- out
}

record_fit <- function(ds, tag, fit) {
  add(ds, tag, "coef", coef(fit))
  add(ds, tag, "var", fit$var)
  add(ds, tag, "loglik", fit$loglik)
  s <- summary(fit)
  # summary() rounds the statistics to 2 decimals (not the p-values): keep the unrounded ones
  add(ds, tag, "logtest", c(2 * diff(fit$loglik), s$logtest[c("df", "pvalue")]))
  add(ds, tag, "waldtest", c(fit$wald.test, s$waldtest[c("df", "pvalue")]))
  add(ds, tag, "sctest", c(fit$score, s$sctest[c("df", "pvalue")]))
  add(ds, tag, "table", s$coefficients)  # columns as R prints them
  add(ds, tag, "conf", s$conf.int[, c("lower .95", "upper .95"), drop = FALSE])
  if (!is.null(fit$naive.var)) add(ds, tag, "naive_var", fit$naive.var)
}

record_zph <- function(ds, tag, fit) {
  for (tr in c("km", "identity", "rank", "log")) {
    z <- tryCatch(cox.zph(fit, transform = tr), error = function(e) NULL)
    if (is.null(z)) {  # singular information (e.g. all events at one time): R stops
      add(ds, paste0(tag, "_zph_", tr), "singular", 1)
      next
    }
    add(ds, paste0(tag, "_zph_", tr), "chisq", z$table[, "chisq"])
    add(ds, paste0(tag, "_zph_", tr), "df", z$table[, "df"])
    add(ds, paste0(tag, "_zph_", tr), "p", z$table[, "p"])
  }
}

fit_all <- function(ds, d, form, zph = TRUE, cluster = TRUE) {
  for (ties in c("efron", "breslow")) {
    f <- coxph(form, data = d, ties = ties, control = ctl, x = TRUE)
    record_fit(ds, ties, f)
    if (zph) record_zph(ds, ties, f)
    fr <- coxph(form, data = d, ties = ties, control = ctl, robust = TRUE)
    record_fit(ds, paste0(ties, "_robust"), fr)
    if (cluster) {
      fc <- coxph(update(form, . ~ . + cluster(cl)), data = d, ties = ties, control = ctl)
      record_fit(ds, paste0(ties, "_cluster"), fc)
    }
  }
}

# ---------------------------------------------------------------- generated datasets
set.seed(20261124)
sizes <- c(5:30, seq(35, 300, by = 5))
n_made <- 0
attempt <- 0
while (n_made < 110) {
  attempt <- attempt + 1
  n <- if (n_made < 12) 5 + n_made else sample(sizes, 1)
  p <- sample(1:3, 1)
  x1 <- rbinom(n, 1, 0.5)
  x2 <- round(rnorm(n), 3)
  x3 <- sample(0:3, n, replace = TRUE)  # ordinal: heavy ties in the design too
  b <- sample(c(-2, -1, -0.5, 0, 0.5, 1, 2.5), 3, replace = TRUE)
  lp <- cbind(x1, x2, x3)[, 1:p, drop = FALSE] %*% b[1:p]
  grain <- sample(c(1, 2, 4, 10), 1)  # few distinct times: heavy ties
  ev <- ceiling(rexp(n, exp(lp)) * grain)
  ce <- ceiling(rexp(n, 0.4) * grain)
  d <- data.frame(time = pmin(ev, ce), status = as.integer(ev <= ce), x1 = x1, x2 = x2, x3 = x3,
                  cl = sample(seq_len(max(2, n %/% 3)), n, replace = TRUE))
  if (sum(d$status) < 2) next
  if (p >= 1 && length(unique(d$x1)) < 2) next
  cols <- c("x1", "x2", "x3")[1:p]
  form <- as.formula(paste("Surv(time, status) ~", paste(cols, collapse = " + ")))
  # keep only fits that R completes without any warning (the regular set); monotone data sets
  # are made on purpose below
  ok <- tryCatch({
    f <- coxph(form, data = d, control = ctl)
    fr <- coxph(update(form, . ~ . + cluster(cl)), data = d, control = ctl)
    fb <- coxph(form, data = d, control = ctl, ties = "breslow")
    !any(is.na(coef(f))) && all(abs(coef(f)) < 8) && all(abs(coef(fb)) < 8)
  }, warning = function(w) FALSE, error = function(e) FALSE)
  if (!ok) next
  n_made <- n_made + 1
  ds <- sprintf("gen%03d", n_made)
  if (p < 2) d$x2 <- NA; if (p < 3) d$x3 <- NA
  add_data(ds, d)
  add(ds, "meta", "p", p)
  fit_all(ds, d, form)
}

# ---------------------------------------------------------------- monotone data (zero-event arm)
firth_pl <- function(beta, X, time, status) {
  # Breslow log partial likelihood + 0.5 log det I, straight from the definitions
  eta <- drop(X %*% beta); r <- exp(eta)
  ll <- 0; I <- matrix(0, ncol(X), ncol(X))
  for (tj in sort(unique(time[status == 1]))) {
    R <- time >= tj; D <- time == tj & status == 1; dj <- sum(D)
    XR <- X[R, , drop = FALSE]; rR <- r[R]
    s0 <- sum(rR); s1 <- colSums(rR * XR); s2 <- crossprod(XR * sqrt(rR))
    ll <- ll + sum(eta[D]) - dj * log(s0)
    I <- I + dj * (s2 / s0 - tcrossprod(s1) / s0^2)
  }
  ll + 0.5 * as.numeric(determinant(I, logarithm = TRUE)$modulus)
}
num_grad <- function(f, b, h = 1e-5) {
  sapply(seq_along(b), function(k) { e <- replace(numeric(length(b)), k, h); (f(b + e) - f(b - e)) / (2 * h) })
}
maximise <- function(f, start) {
  if (length(start) == 1) {
    # root of the central-difference derivative: far more precise than optimize()'s golden section
    g <- function(b) num_grad(f, b)
    lo <- start - 1; hi <- start + 1
    while (g(lo) < 0) lo <- lo - 2
    while (g(hi) > 0) hi <- hi + 2
    b <- uniroot(g, c(lo, hi), tol = 1e-13)$root
    return(list(par = b, value = f(b)))
  }
  o <- optim(start, function(b) -f(b), function(b) -num_grad(f, b), method = "BFGS",
             control = list(reltol = 1e-16, maxit = 5000))
  o <- optim(o$par, function(b) -f(b), function(b) -num_grad(f, b), method = "BFGS",
             control = list(reltol = 1e-16, maxit = 5000))
  list(par = o$par, value = -o$value)
}
firth_reference <- function(ds, d, cols) {
  X <- as.matrix(d[, cols, drop = FALSE]); p <- ncol(X)
  f <- function(b) firth_pl(b, X, d$time, d$status)
  best <- maximise(f, rep(0, p))
  bhat <- best$par
  prof <- function(k, v) {
    if (p == 1) return(f(v))
    g <- function(bo) { b <- numeric(p); b[k] <- v; b[-k] <- bo; f(b) }
    maximise(g, bhat[-k])$value
  }
  crit <- qchisq(0.95, 1)
  lo <- hi <- chisq <- numeric(p)
  for (k in 1:p) {
    h <- function(v) 2 * (best$value - prof(k, v)) - crit
    w <- 1; while (h(bhat[k] - w) < 0) w <- 2 * w
    lo[k] <- uniroot(h, c(bhat[k] - w, bhat[k]), tol = 1e-11)$root
    w <- 1; while (h(bhat[k] + w) < 0) w <- 2 * w
    hi[k] <- uniroot(h, c(bhat[k], bhat[k] + w), tol = 1e-11)$root
    chisq[k] <- 2 * (best$value - prof(k, 0))
  }
  add(ds, "firth", "coef", bhat)
  add(ds, "firth", "ci_low", lo)
  add(ds, "firth", "ci_high", hi)
  add(ds, "firth", "chisq", chisq)
  add(ds, "firth", "pvalue", pchisq(chisq, 1, lower.tail = FALSE))
  add(ds, "firth", "pl", c(f(rep(0, p)), best$value))
}

set.seed(4242)
n_mono <- 0
while (n_mono < 16) {
  n <- sample(c(6:20, 24, 30, 40, 60), 1)
  p <- sample(1:2, 1)
  x1 <- rep(0:1, length.out = n)
  x2 <- round(rnorm(n), 3)
  grain <- sample(c(1, 3, 10), 1)
  ev <- ceiling(rexp(n, exp(1.5 * x1)) * grain)
  ce <- ceiling(rexp(n, 0.3) * grain)
  d <- data.frame(time = pmin(ev, ce), status = as.integer(ev <= ce), x1 = x1, x2 = x2, x3 = NA,
                  cl = NA)
  zero_arm <- sample(0:1, 1)
  d$status[d$x1 == zero_arm] <- 0L  # that arm has no events: monotone likelihood
  if (sum(d$status) < 2) next
  n_mono <- n_mono + 1
  ds <- sprintf("mono%03d", n_mono)
  if (p < 2) d$x2 <- NA
  cols <- c("x1", "x2")[1:p]
  form <- as.formula(paste("Surv(time, status) ~", paste(cols, collapse = " + ")))
  add_data(ds, d)
  add(ds, "meta", "p", p)
  for (ties in c("efron", "breslow")) {
    f <- suppressWarnings(coxph(form, data = d, ties = ties, control = coxph.control(iter.max = 200)))
    add(ds, ties, "coef", coef(f))
    add(ds, ties, "loglik", f$loglik)
    add(ds, ties, "sctest", c(f$score, summary(f)$sctest[c("df", "pvalue")]))
    if (p == 2) add(ds, ties, "var", f$var)
  }
  firth_reference(ds, d, cols)
}

# Firth on regular (non-monotone) data too: the first generated sets with n <= 60 and p <= 2
for (k in seq_len(110)) {
  ds <- sprintf("gen%03d", k)
  d <- datasets[[k]]
  for (nm in c("time", "status", "x1", "x2", "x3")) d[[nm]] <- as.numeric(d[[nm]])
  p <- sum(!is.na(unlist(d[1, c("x1", "x2", "x3")])))
  if (nrow(d) <= 60 && p <= 2 && k %% 3 == 0) firth_reference(ds, d, c("x1", "x2", "x3")[1:p])
}

# ---------------------------------------------------------------- survival's own examples
d <- aml
names(d)[names(d) == "x"] <- "x1"
d$x1 <- as.character(d$x1)
d$cl <- NA
add_data("aml", d)
fit_all("aml", aml, Surv(time, status) ~ x, cluster = FALSE)

d <- ovarian
o <- data.frame(time = d$futime, status = d$fustat, x1 = d$age, x2 = d$ecog.ps, x3 = d$rx, cl = d$resid.ds)
add_data("ovarian", o)
fit_all("ovarian", o, Surv(time, status) ~ x1 + x2 + x3)

# Therneau & Grambsch (2000) appendix E, data set 1 (survival's tests/book1.R, book2.R); one NA
t1 <- data.frame(time = c(9, 3, 1, 1, 6, 6, 8), status = c(1, NA, 1, 0, 1, 1, 0),
                 x1 = c(0, 2, 1, 1, 1, 0, 0), cl = c(1, 1, 2, 2, 3, 3, 3))
add_data("test1", t1)
for (ties in c("efron", "breslow")) {
  f <- coxph(Surv(time, status) ~ x1, t1, ties = ties, control = ctl)
  record_fit("test1", ties, f)
  add("test1", ties, "score_resid", resid(f, "score"))
  record_zph("test1", ties, f)
  fr <- coxph(Surv(time, status) ~ x1, t1, ties = ties, control = ctl, robust = TRUE)
  record_fit("test1", paste0(ties, "_robust"), fr)
  fc <- coxph(Surv(time, status) ~ x1 + cluster(cl), t1, ties = ties, control = ctl)
  record_fit("test1", paste0(ties, "_cluster"), fc)
}

dat <- do.call(rbind, datasets)
write.csv(dat, file.path(here, "survival_cox_datasets.csv"), row.names = FALSE, na = "")
write.csv(do.call(rbind, values), file.path(here, "survival_cox_values.csv"), row.names = FALSE)
write.csv(data.frame(what = c("R", "survival"),
                     version = c(R.version.string, as.character(packageVersion("survival")))),
          file.path(here, "survival_cox_versions.csv"), row.names = FALSE)
