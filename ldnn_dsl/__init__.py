"""ldnn: a declarative model-spec language for deep nets."""
