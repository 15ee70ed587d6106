module georace/gopeer

go 1.19
