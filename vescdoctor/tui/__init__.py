"""The terminal face of vescdoctor (Textual). Thin: it drives the core's triage session, probes and fix engine and
shows what they say; it holds no diagnosis or repair logic of its own. The core never imports this package."""
