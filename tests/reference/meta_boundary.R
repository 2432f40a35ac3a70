# Mantel-Haenszel risk difference at the boundary: every study at RD = +-1, or every study a double zero.
# metafor's estimate, Q and I^2 are the reference; where its variance is NaN (rounding below 0) or its z
# is NaN (0/0), hamstudy returns the exact value (variance 0; z = +-inf and p = 0, or z = 0 and p = 1).
# Run from the repository root: Rscript tests/reference/meta_boundary.R
suppressMessages(library(metafor))
cases <- list(
  list(id = "rd_plus_one",        ai = c(3, 2), n1i = c(3, 2), ci = c(0, 0), n2i = c(4, 5)),
  list(id = "rd_minus_one_ulp",   ai = c(0, 0), n1i = c(1, 2), ci = c(1, 3), n2i = c(1, 3)),
  list(id = "rd_plus_one_ulp",    ai = c(1, 3), n1i = c(1, 3), ci = c(0, 0), n2i = c(1, 2)),
  list(id = "double_zero_and_all", ai = c(0, 1), n1i = c(1, 1), ci = c(0, 1), n2i = c(1, 1)),
  list(id = "interior",           ai = c(1, 0), n1i = c(1, 3), ci = c(0, 3), n2i = c(2, 3))
)
f <- function(x) sprintf("%.17g", x)
rows <- lapply(cases, function(k) {
  r <- suppressWarnings(rma.mh(ai = k$ai, n1i = k$n1i, ci = k$ci, n2i = k$n2i, measure = "RD"))
  data.frame(id = k$id, ai = paste(k$ai, collapse = ";"), n1i = paste(k$n1i, collapse = ";"),
             ci = paste(k$ci, collapse = ";"), n2i = paste(k$n2i, collapse = ";"),
             beta = f(r$beta), se = f(r$se), zval = f(r$zval), pval = f(r$pval), QE = f(r$QE), I2 = f(r$I2))
})
out <- do.call(rbind, rows)
out$r_version <- R.version.string
out$metafor_version <- as.character(packageVersion("metafor"))
write.csv(out, "tests/reference/meta_boundary.csv", row.names = FALSE)
