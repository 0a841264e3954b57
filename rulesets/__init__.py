# Shipped rulesets, installed as policyengine.shipped so 'tax@2010' resolves after pip install.
