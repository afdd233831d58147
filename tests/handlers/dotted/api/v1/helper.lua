-- dotted: a sibling module required as "api.v1.helper" from the code directory
return { name = function() return "api.v1.helper" end }
