Bbo_V_newJ няKјtћQ<…T;дІЅЃ~=—
=B>¤<Їkп<