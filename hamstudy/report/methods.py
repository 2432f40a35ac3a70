"""The auto-written Methods paragraph, with a reference for each method (compare easystats ``report``).

Sections record the methods they used with :meth:`Context.use`; :func:`methods_paragraph` turns the
keys into sentences in a fixed order and :func:`references_for` into the reference list. Results
sentences are written by the sections themselves, with the numbers formatted by
:mod:`hamstudy.report.format`.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["METHODS", "methods_paragraph", "references_for", "software_sentence"]

REF = {
    "fisher": "Fisher RA. The Design of Experiments. Edinburgh: Oliver and Boyd; 1935.",
    "lancaster": "Lancaster HO. Significance tests in discrete distributions. J Am Stat Assoc. 1961;56:223-234.",
    "boschloo": "Boschloo RD. Raised conditional level of significance for the 2 x 2-table when testing the equality of two probabilities. Stat Neerl. 1970;24:1-35.",
    "barnard": "Barnard GA. A new test for 2 x 2 tables. Nature. 1945;156:177.",
    "wilson": "Wilson EB. Probable inference, the law of succession, and statistical inference. J Am Stat Assoc. 1927;22:209-212.",
    "newcombe": "Newcombe RG. Interval estimation for the difference between independent proportions: comparison of eleven methods. Stat Med. 1998;17:873-890.",
    "koopman": "Koopman PAR. Confidence intervals for the ratio of two binomial proportions. Biometrics. 1984;40:513-517.",
    "mn": "Miettinen O, Nurminen M. Comparative analysis of two rates. Stat Med. 1985;4:213-226.",
    "altman_nnt": "Altman DG. Confidence intervals for the number needed to treat. BMJ. 1998;317:1309-1312.",
    "walsh": "Walsh M, Srinathan SK, McAuley DF, et al. The statistical significance of randomized controlled trial results is frequently fragile: a case for a Fragility Index. J Clin Epidemiol. 2014;67:622-628.",
    "khan": "Khan MS, Fonarow GC, Friede T, et al. Application of the reverse fragility index to statistically nonsignificant randomized clinical trial results. JAMA Netw Open. 2020;3:e2012469.",
    "bayes_binom": "Gelman A, Carlin JB, Stern HS, Dunson DB, Vehtari A, Rubin DB. Bayesian Data Analysis. 3rd ed. Boca Raton: CRC Press; 2013.",
    "statcheck": "Nuijten MB, Hartgerink CHJ, van Assen MALM, Epskamp S, Wicherts JM. The prevalence of statistical reporting errors in psychology (1985-2013). Behav Res Methods. 2016;48:1205-1226.",
    "welch": "Welch BL. The generalization of 'Student's' problem when several different population variances are involved. Biometrika. 1947;34:28-35.",
    "km": "Kaplan EL, Meier P. Nonparametric estimation from incomplete observations. J Am Stat Assoc. 1958;53:457-481.",
    "greenwood": "Greenwood M. The natural duration of cancer. Reports on Public Health and Medical Subjects. 1926;33:1-26.",
    "logrank": "Mantel N. Evaluation of survival data and two new rank order statistics arising in its consideration. Cancer Chemother Rep. 1966;50:163-170.",
    "perm_logrank": "Heinze G, Gnant M, Schemper M. Exact log-rank tests for unequal follow-up. Biometrics. 2003;59:1151-1157.",
    "rmst": "Royston P, Parmar MKB. Restricted mean survival time: an alternative to the hazard ratio for the design and analysis of randomized trials with a time-to-event outcome. BMC Med Res Methodol. 2013;13:152.",
    "cox": "Cox DR. Regression models and life-tables. J R Stat Soc Series B. 1972;34:187-220.",
    "efron": "Efron B. The efficiency of Cox's likelihood function for censored data. J Am Stat Assoc. 1977;72:557-565.",
    "firth": "Heinze G, Schemper M. A solution to the problem of monotone likelihood in Cox regression. Biometrics. 2001;57:114-119.",
    "aj": "Aalen OO, Johansen S. An empirical transition matrix for non-homogeneous Markov chains based on censored observations. Scand J Stat. 1978;5:141-150.",
    "rates": "Knowles SB, Marshall SW, Guskiewicz KM. Issues in estimating risks and rates in sports injury research. J Athl Train. 2006;41:207-215.",
    "garwood": "Garwood F. Fiducial limits for the Poisson distribution. Biometrika. 1936;28:437-442.",
    "mh": "Mantel N, Haenszel W. Statistical aspects of the analysis of data from retrospective studies of disease. J Natl Cancer Inst. 1959;22:719-748.",
    "peto": "Yusuf S, Peto R, Lewis J, Collins R, Sleight P. Beta blockade during and after myocardial infarction: an overview of the randomized trials. Prog Cardiovasc Dis. 1985;27:335-371.",
    "reml": "Viechtbauer W. Bias and efficiency of meta-analytic variance estimators in the random-effects model. J Educ Behav Stat. 2005;30:261-293.",
    "hksj": "Hartung J, Knapp G. A refined method for the meta-analysis of controlled clinical trials with binary outcome. Stat Med. 2001;20:3875-3889.",
    "pi": "Higgins JPT, Thompson SG, Spiegelhalter DJ. A re-evaluation of random-effects meta-analysis. J R Stat Soc Series A. 2009;172:137-159.",
    "i2": "Higgins JPT, Thompson SG. Quantifying heterogeneity in a meta-analysis. Stat Med. 2002;21:1539-1558.",
    "metafor": "Viechtbauer W. Conducting meta-analyses in R with the metafor package. J Stat Softw. 2010;36(3):1-48.",
    "hedges": "Hedges LV. Distribution theory for Glass's estimator of effect size and related estimators. J Educ Stat. 1981;6:107-128.",
    "sweeting": "Sweeting MJ, Sutton AJ, Lambert PC. What to add to nothing? Use and avoidance of continuity corrections in meta-analysis of sparse data. Stat Med. 2004;23:1351-1375.",
}


@dataclass(frozen=True)
class Method:
    sentence: str
    refs: tuple[str, ...]


#: method key -> the sentence the Methods paragraph uses, and its references (in the order written)
METHODS: dict[str, Method] = {
    "wilson": Method("Proportions of athletes re-injured are given with Wilson score intervals", ("wilson",)),
    "fisher": Method("arms were compared with the two-sided Fisher exact test (p-value as R's fisher.test: the sum of the probabilities of tables no more likely than the observed one)", ("fisher",)),
    "midp": Method("its mid-p version", ("lancaster",)),
    "boschloo": Method("Boschloo's exact unconditional test (nuisance parameter maximised over [0, 1])", ("boschloo",)),
    "barnard": Method("Barnard's exact unconditional test", ("barnard",)),
    "rd": Method("The risk difference is given with Newcombe's hybrid score interval (method 10)", ("newcombe",)),
    "rr": Method("the risk ratio with a score interval that stays finite when one arm has no events", ("koopman", "mn")),
    "or": Method("and the odds ratio as the conditional maximum-likelihood estimate with its exact conditional interval", ("fisher",)),
    "nnt": Method("The number needed to treat was derived from the risk difference, as NNTB/NNTH where the interval crosses zero", ("altman_nnt",)),
    "fragility": Method("The fragility index is the number of non-events that must become events in the arm with fewer events for the Fisher p-value to reach 0.05; the reverse fragility index counts the changes needed to reach significance", ("walsh", "khan")),
    "bayes": Method("In a Bayesian analysis with independent uniform Beta(1, 1) priors on each arm's risk, we report the posterior probability that the first arm's risk exceeds the second's and a 95% credible interval for the risk difference", ("bayes_binom",)),
    "audit": Method("Published p-values were compared with p-values recomputed from the published counts or summary statistics, flagging disagreements larger than rounding (in the manner of statcheck)", ("statcheck",)),
    "ttest": Method("For days to return to sport, Welch and Student t-tests were recomputed from the published means, standard deviations and group sizes", ("welch",)),
    "km": Method("Time from return to sport to reinjury was described with Kaplan-Meier curves with Greenwood standard errors", ("km", "greenwood")),
    "logrank": Method("compared with the log-rank test", ("logrank",)),
    "logrank_exact": Method("and with a permutation (exact) log-rank test suited to small samples", ("perm_logrank",)),
    "rmst": Method("The restricted mean survival time (reinjury-free time) up to a fixed horizon was compared between arms", ("rmst",)),
    "cuminc": Method("Cumulative incidence of reinjury was estimated with the Aalen-Johansen estimator", ("aj",)),
    "cox": Method("Hazard ratios were estimated with Cox proportional-hazards regression (Efron ties)", ("cox", "efron")),
    "firth": Method("and with Firth's penalised partial likelihood, which gives finite estimates when an arm has no events (monotone likelihood), with profile-likelihood intervals", ("firth",)),
    "rates": Method("Injury incidence is given per 1,000 hours of exposure with exact Poisson intervals", ("rates", "garwood")),
    "meta_mh": Method("Trials were pooled on the risk-ratio scale with the Mantel-Haenszel method, without continuity correction", ("mh", "sweeting")),
    "meta_peto": Method("with Peto's one-step odds ratio", ("peto",)),
    "meta_reml": Method("and with a random-effects model (REML estimate of the between-trial variance tau-squared) with the Hartung-Knapp-Sidik-Jonkman adjustment and a prediction interval", ("reml", "hksj", "pi")),
    "i2": Method("Heterogeneity is described by tau-squared and I-squared; the computations follow metafor's conventions", ("i2", "metafor")),
}

#: the order in which methods are written; keys used but not listed here follow in the order used
_ORDER = list(METHODS)

# keys whose sentence continues the previous one (joined with ", " / " ") rather than starting anew
_CONTINUES = {"fisher": "; ", "midp": ", ", "boschloo": ", ", "barnard": ", and ", "rr": ", ", "or": " ",
              "logrank": ", ", "logrank_exact": " ", "firth": " ", "meta_peto": ", ", "meta_reml": ", "}


def methods_paragraph(keys: list[str]) -> str:
    """The Methods paragraph for the methods used, in a fixed order."""
    used = [k for k in _ORDER if k in keys] + [k for k in keys if k not in METHODS]
    text = ""
    for key in used:
        method = METHODS.get(key)
        if method is None:
            continue
        sentence = method.sentence
        if text and key in _CONTINUES:
            text = text[: -len(". ")] + _CONTINUES[key] + sentence + ". "
        else:
            text += sentence[0].upper() + sentence[1:] + ". "
    return text.strip()


def references_for(keys: list[str]) -> list[str]:
    """The references of the methods used, each once, in order of first citation."""
    used = [k for k in _ORDER if k in keys]
    refs: list[str] = []
    for key in used:
        for ref in METHODS[key].refs:
            if REF[ref] not in refs:
                refs.append(REF[ref])
    return refs


def software_sentence(versions: dict[str, str]) -> str:
    """"Analyses used hamstudy 0.1.0 (Python 3.11.2; NumPy ..., SciPy ..., ...)"."""
    names = {"numpy": "NumPy", "scipy": "SciPy", "pandas": "pandas", "statsmodels": "statsmodels",
             "lifelines": "lifelines", "matplotlib": "Matplotlib"}
    libs = ", ".join(f"{label} {versions[key]}" for key, label in names.items() if versions.get(key, "not installed") != "not installed")
    return f"Analyses used hamstudy {versions.get('hamstudy', '')} (Python {versions.get('python', '')}; {libs})."
